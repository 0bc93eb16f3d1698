"""The audit trail: who did what to whom, when, in the same transaction as the action."""

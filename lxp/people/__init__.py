"""The L&D admin's people pages: they compose accounts (roles, invitations) with coaching (who
coaches whom), so they sit above both rather than inside accounts."""

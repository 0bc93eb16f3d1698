"""Cohort spaces: threads, peer help, sharing by choice, moderation (issue #21)."""

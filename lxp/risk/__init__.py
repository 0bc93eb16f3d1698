"""Predictive support: who may go quiet, why in words, and what a coach can do (issue 24)."""

"""Insights for L&D: the journey map, satisfaction, modalities, cohorts and people."""

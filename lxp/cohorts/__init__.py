"""Cohorts: learners who go through a programme together, with a coach and shared dates."""

"""The adaptive path: a pure planner, and the stored plan of each learner's enrolment."""

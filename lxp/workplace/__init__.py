"""On-the-job tasks: evidence from the workplace, reviewed by the coach against a rubric."""

"""The learner's side: Today, the path, the inbox (filled in by the learner-journey issue)."""

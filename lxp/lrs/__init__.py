"""Learning events as xAPI 1.0.3 statements, and forwarding them to an external LRS."""

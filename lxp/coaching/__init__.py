"""Coaches, coaching conversations and "I'm stuck" help requests."""

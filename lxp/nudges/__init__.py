"""Touchpoints: rules that plan messages into an outbox, and delivery under the learner's control."""

"""What an operator runs and watches: Prometheus metrics and backups."""

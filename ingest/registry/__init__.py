"""Schema registry (being written)."""

"""The web process's Prometheus metrics and its `GET /metrics` (CONTRACT section 12)."""

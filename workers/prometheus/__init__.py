"""The workers' Prometheus metrics and their exposition on WORKER_METRICS_PORT (CONTRACT
section 12)."""

"""Prometheus metrics (CONTRACT section 12): shared by the web and worker processes."""

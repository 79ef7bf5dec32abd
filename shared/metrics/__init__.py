"""Project metrics (CONTRACT sections 4 and 10): SQL aggregates, and their JSON shapes."""

"""Outgoing webhooks (CONTRACT section 9): endpoints, and the outbox the unit of work writes."""

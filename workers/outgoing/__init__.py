"""Sending the outbox's deliveries to the apps' endpoints."""

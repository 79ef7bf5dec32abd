"""Fakes of outside services for tests; ``stripe_api`` stands in for the Stripe API."""

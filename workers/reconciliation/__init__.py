"""Reconciliation with the Stripe API: replay missed events, correct drifted records."""

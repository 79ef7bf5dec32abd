"""Taking over a live Stripe account: the whole-account import and the one-customer resync."""

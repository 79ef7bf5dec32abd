"""Pure functions from a Stripe event's payload to records (shared/records.py), one module per
Stripe object. They import no database, network or Stripe library, so they are tested alone and
a payload that cannot be read fails here, before any transaction (MalformedEvent)."""

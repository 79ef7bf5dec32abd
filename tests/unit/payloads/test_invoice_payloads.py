"""Pure: an invoice event's payload → the payment outcome of its subscription."""

from __future__ import annotations

import pytest

from tests import stripe_events as se
from tests.stripe_events import T0, at
from workers.payloads.invoice import invoice_outcome


@pytest.mark.parametrize("shape", se.SHAPES)
@pytest.mark.parametrize(
    ("event_type", "outcome"),
    [("invoice.payment_succeeded", "paid"), ("invoice.payment_failed", "failed")],
)
def test_invoice_outcome_reads_both_payload_shapes(
    event_type: str, outcome: str, shape: str
) -> None:
    paid = event_type.endswith("succeeded")
    record = invoice_outcome(se.invoice_event(T0, paid, payment_intent="pi_inv_1", shape=shape))
    assert record.invoice_id == "in_1" and record.customer_id == "cus_1"
    assert record.subscription_id == "sub_1"
    assert record.outcome == outcome
    assert record.occurred_at == at(T0) and record.created == T0
    # A PaymentIntent is named by the invoice only before 2025-03-31.
    assert record.payment_intent_id == (None if shape == "new" else "pi_inv_1")


def test_new_shape_invoice_names_its_subscription_only_under_parent() -> None:
    event = se.invoice_event(T0, payment_intent="pi_inv_1")
    assert "subscription" not in event["data"]["object"]
    assert event["data"]["object"]["parent"]["subscription_details"]["subscription"] == "sub_1"
    assert invoice_outcome(event).subscription_id == "sub_1"


@pytest.mark.parametrize("shape", se.SHAPES)
def test_one_off_invoice_has_no_subscription(shape: str) -> None:
    record = invoice_outcome(
        se.invoice_event(T0, sub_id=None, payment_intent="pi_inv_1", shape=shape)
    )
    assert record.subscription_id is None

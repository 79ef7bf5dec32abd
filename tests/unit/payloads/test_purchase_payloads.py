"""Pure: the payloads that make a one-time purchase (a PaymentIntent, its refunds, a Checkout
Session) → the purchase's facts and owner."""

from __future__ import annotations

import pytest

from shared.records import ClaimedOwner, PurchaseFacts
from shared.statuses import PaymentStatus
from tests import stripe_events as se
from tests.stripe_events import PROJECT, T0, owner_metadata
from workers.payloads.charge import refund_facts
from workers.payloads.checkout_session import session_owner, session_purchase_facts
from workers.payloads.payment_intent import payment_intent_facts

BOOK_OF_U1 = owner_metadata("u1", product_id="prod_book")


# --- payment intents -------------------------------------------------------------------------


@pytest.mark.parametrize("shape", se.SHAPES)
@pytest.mark.parametrize(
    ("event_type", "status"),
    [("payment_intent.succeeded", "succeeded"), ("payment_intent.payment_failed", "failed")],
)
def test_payment_intent_facts_read_both_payload_shapes(
    event_type: str, status: PaymentStatus, shape: str
) -> None:
    succeeded = event_type.endswith("succeeded")
    event = se.payment_intent_event(T0, succeeded, currency="EUR", metadata=BOOK_OF_U1, shape=shape)
    facts = payment_intent_facts(event)
    assert facts == PurchaseFacts(
        payment_intent_id="pi_1",
        created=T0,
        customer_id="cus_1",
        owner=ClaimedOwner(PROJECT, "u1"),
        names_user=True,
        product_id="prod_book",
        amount_minor=4900,
        currency="eur",
        payment_status=status,
    )


def test_old_shape_payment_intent_of_an_invoice_names_the_invoice() -> None:
    facts = payment_intent_facts(se.payment_intent_event(T0, invoice="in_1", shape="old"))
    assert facts.invoice_id == "in_1"
    assert facts.owner is None and facts.names_user is False


def test_new_shape_payment_intent_of_an_invoice_has_no_owner_and_no_invoice() -> None:
    event = se.payment_intent_event(T0, metadata={})
    assert "invoice" not in event["data"]["object"]
    facts = payment_intent_facts(event)
    assert (facts.invoice_id, facts.owner, facts.names_user) == (None, None, False)


def test_payment_intent_naming_only_a_user_is_a_purchase_of_that_user() -> None:
    facts = payment_intent_facts(se.payment_intent_event(T0, metadata={"user_id": "u1"}))
    assert facts.names_user is True and facts.owner == ClaimedOwner("", "u1")


# --- refunds ---------------------------------------------------------------------------------


@pytest.mark.parametrize("refunded", [500, 4900])
def test_refund_facts_carry_the_refunded_amount(refunded: int) -> None:
    facts = refund_facts(se.refund_event(T0, refunded, amount=4900, customer="cus_1"))
    assert facts == PurchaseFacts(
        payment_intent_id="pi_1",
        created=T0,
        customer_id="cus_1",
        amount_minor=4900,
        currency="usd",
        payment_status="succeeded",
        amount_refunded_minor=refunded,
    )


def test_refund_of_a_charge_without_payment_intent_has_no_purchase() -> None:
    charge = se.charge("ch_1", payment_intent=None, amount=4900, amount_refunded=4900)
    assert refund_facts(se.event("charge.refunded", charge, created=T0)) is None


def test_refund_reads_an_expanded_payment_intent() -> None:
    event = se.refund_event(T0, 100)
    event["data"]["object"]["payment_intent"] = {"id": "pi_1", "object": "payment_intent"}
    facts = refund_facts(event)
    assert facts is not None and facts.payment_intent_id == "pi_1"


# --- checkout sessions -----------------------------------------------------------------------


def test_payment_mode_session_is_a_purchase() -> None:
    facts = session_purchase_facts(se.checkout_session_event(T0, metadata=BOOK_OF_U1))
    assert facts == PurchaseFacts(
        payment_intent_id="pi_1",
        created=T0,
        customer_id="cus_1",
        owner=ClaimedOwner(PROJECT, "u1"),
        checkout_session_id="cs_1",
        product_id="prod_book",
        amount_minor=4900,
        currency="usd",
        payment_status="succeeded",
    )


@pytest.mark.parametrize(
    ("payment_status", "status"),
    [("paid", "succeeded"), ("no_payment_required", "succeeded"), ("unpaid", "pending")],
)
def test_session_payment_status_becomes_the_purchase_status(
    payment_status: str, status: str
) -> None:
    event = se.checkout_session_event(T0, metadata=BOOK_OF_U1, payment_status=payment_status)
    facts = session_purchase_facts(event)
    assert facts is not None and facts.payment_status == status


def test_subscription_mode_session_is_no_purchase() -> None:
    event = se.checkout_session_event(
        T0, mode="subscription", subscription="sub_1", metadata=BOOK_OF_U1
    )
    assert session_purchase_facts(event) is None


def test_session_without_product_metadata_leaves_the_product_to_a_lookup() -> None:
    event = se.checkout_session_event(T0, metadata=owner_metadata("u1"))
    facts = session_purchase_facts(event)
    assert facts is not None and facts.product_id is None


def test_client_reference_id_stands_for_user_id() -> None:
    obj = se.checkout_session(
        "cs_1", mode="payment", customer="cus_1", metadata={"project_id": PROJECT},
        client_reference_id="u7",
    )  # fmt: skip
    assert session_owner(obj) == ClaimedOwner(PROJECT, "u7")


def test_metadata_user_id_wins_over_client_reference_id() -> None:
    obj = se.checkout_session(
        "cs_1", mode="payment", customer="cus_1", metadata=owner_metadata("u1"),
        client_reference_id="u7",
    )  # fmt: skip
    assert session_owner(obj) == ClaimedOwner(PROJECT, "u1")


def test_session_without_project_claims_only_its_user() -> None:
    obj = se.checkout_session("cs_1", mode="payment", customer="cus_1", client_reference_id="u7")
    assert session_owner(obj) == ClaimedOwner("", "u7")

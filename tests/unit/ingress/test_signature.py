"""Stripe-Signature verification (ingress/signature.py), without HTTP or stores."""

from __future__ import annotations

import time

import pytest

from ingress.errors import WebhookRejected
from ingress.signature import MALFORMED, MISSING, NO_MATCH, STALE, verify_stripe_signature
from tests.support.signing import SECRET_A, SECRET_B, sign

PAYLOAD = '{"id": "evt_1", "type": "customer.created", "created": 1700000000}'
SECRETS = (SECRET_A, SECRET_B)


def _reason(header: str | None, secrets=SECRETS, tolerance_s: int = 300) -> str | None:
    try:
        verify_stripe_signature(PAYLOAD, header, secrets, tolerance_s)
    except WebhookRejected as exc:
        assert exc.status == 400
        return exc.reason
    return None


def test_signature_with_either_secret_is_accepted():
    assert _reason(sign(PAYLOAD, SECRET_A)) is None
    assert _reason(sign(PAYLOAD, SECRET_B)) is None


def test_missing_header():
    assert _reason(None) == MISSING
    assert _reason("") == MISSING


@pytest.mark.parametrize("header", ["nonsense", "t=abc,v1=00", "t=1700000000", "v1=00"])
def test_malformed_header(header):
    assert _reason(header) == MALFORMED


def test_no_matching_signature():
    assert _reason(sign(PAYLOAD, "whsec_other")) == NO_MATCH
    assert _reason(sign(PAYLOAD + " ", SECRET_A)) == NO_MATCH


@pytest.mark.parametrize("secret", [SECRET_A, SECRET_B])
def test_timestamp_outside_tolerance_either_way(secret):
    now = int(time.time())
    assert _reason(sign(PAYLOAD, secret, now - 400)) == STALE
    assert _reason(sign(PAYLOAD, secret, now + 400)) == STALE


def test_timestamp_inside_tolerance_either_way():
    now = int(time.time())
    assert _reason(sign(PAYLOAD, SECRET_A, now - 200)) is None
    assert _reason(sign(PAYLOAD, SECRET_A, now + 200)) is None


def test_several_v1_signatures_one_matching():
    good = sign(PAYLOAD, SECRET_B)
    timestamp, signature = (part.split("=", 1)[1] for part in good.split(","))
    assert _reason(f"t={timestamp},v1={'a' * 64},v1={signature}") is None

"""Logs: a line per request with method, path, status and duration (an accepted webhook: its
`webhook.received` line); event lines carry the event's id and type; secrets never appear."""

from __future__ import annotations

import json

from structlog.testing import capture_logs

from tests.support.envelopes import WEBHOOK_PATH, event_envelope, post_event
from tests.support.signing import SECRET_A, SECRET_B, sign
from tests.support.stores import ADMIN_TOKEN


def test_request_and_event_lines_carry_their_fields_and_no_secret(ingress):
    event = event_envelope()
    body = json.dumps(event)
    header = sign(body, SECRET_A)
    with capture_logs() as logs:
        ingress.post(WEBHOOK_PATH, content=body, headers={"Stripe-Signature": header})
        post_event(ingress, event_envelope(), secret="whsec_wrong")
        ingress.get("/api/v1/admin/webhook-events", headers={"Authorization": "Bearer nope"})
        ingress.get(
            "/api/v1/admin/webhook-events", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
        )
    # an accepted webhook has one line, `webhook.received`; every other request a `request` line
    requests = [line for line in logs if line["event"] == "request"]
    assert len(requests) == 3
    for line in requests:
        assert {"method", "path", "status", "duration_ms"} <= set(line)
    assert requests[0]["method"] == "POST" and requests[0]["path"] == WEBHOOK_PATH
    assert [line["status"] for line in requests] == [400, 401, 200]
    received = [line for line in logs if line["event"] == "webhook.received"]
    assert len(received) == 1 and received[0]["event_id"] == event["id"]
    assert received[0]["event_type"] == event["type"]
    assert "duration_ms" in received[0]
    everything = repr(logs)
    for secret in (SECRET_A, SECRET_B, ADMIN_TOKEN, header.split("v1=")[1], "whsec_wrong"):
        assert secret not in everything

"""CONTRACT section 12: every try of an outgoing webhook is counted by its outcome."""

from __future__ import annotations

from tests.db.outgoing.receiver import receiver
from tests.db.outgoing.test_entitlement_messages import (
    add_endpoint,
    deliver,
    deliveries,
    sub_event,
)
from tests.support.scrape import CountsInThisProcess
from workers.bootstrap import WorkerParts

T0 = 1_700_000_000
DELIVERIES = "billing_outgoing_deliveries_total"


def test_tries_are_counted_delivered_retrying_and_failed(parts: WorkerParts) -> None:
    with receiver(500, 200) as (url, _):
        add_endpoint(parts, url)
        deliver(parts, sub_event(T0, "active"))
        (delivery,) = deliveries(parts.engine)
        counts = CountsInThisProcess()
        assert [parts.sender.send(delivery["id"]) for _ in range(3)] == [
            "pending",
            "delivered",
            None,  # not due: no try, no count
        ]
    assert counts.moved(DELIVERIES, outcome="retrying") == 1
    assert counts.moved(DELIVERIES, outcome="delivered") == 1

    with receiver(503) as (url, _):
        add_endpoint(parts, url)
        deliver(parts, sub_event(T0 + 1, "canceled"))
        pending = [d for d in deliveries(parts.engine) if d["status"] == "pending"]
        counts = CountsInThisProcess()
        for _ in range(3):  # WEBHOOK_RETRY_DELAYS=0,0: three tries, then no more
            for delivery in pending:
                parts.sender.send(delivery["id"])
    assert counts.moved(DELIVERIES, outcome="failed") == len(pending)
    assert counts.moved(DELIVERIES, outcome="retrying") == 2 * len(pending)

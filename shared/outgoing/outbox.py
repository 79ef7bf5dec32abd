"""Every statement on `outbox_messages`, `webhook_deliveries` and `delivery_attempts`.

The unit of work writes a message, and one delivery per endpoint of the project, in the
transaction of the recompute that changed a user's entitlements: none for a change that rolled
back, none lost for one that committed. Workers claim due deliveries with a lease
(`next_attempt_at` moved past the send), so a delivery whose worker died is due again later.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, text

from shared.entitlements.compute import entitlements_json
from shared.entitlements.recompute import Recomputed, UserRecompute
from shared.isotime import iso_utc
from shared.records import Owner
from shared.statuses import DeliveryStatus

MAX_ERROR_CHARS = 500
NEW_DELIVERY_ID = "'dlv_' || replace(gen_random_uuid()::text, '-', '')"
# The message only if the project has an endpoint, and one delivery per endpoint.
WRITE_MESSAGE = text(
    f"""WITH endpoints AS (
            SELECT id FROM webhook_endpoints
            WHERE project_id = :p AND removed_at IS NULL AND (CAST(:only AS text) IS NULL
                                                             OR id = CAST(:only AS text))),
        message AS (
            INSERT INTO outbox_messages (id, project_id, type, body)
            SELECT :id, :p, :type, :body WHERE EXISTS (SELECT 1 FROM endpoints)
            RETURNING id)
        INSERT INTO webhook_deliveries (id, message_id, endpoint_id)
        SELECT {NEW_DELIVERY_ID}, message.id, endpoints.id FROM message, endpoints
        RETURNING id"""
)
CLAIM = text(
    """UPDATE webhook_deliveries d SET next_attempt_at = now() + make_interval(secs => :lease_s)
       FROM outbox_messages m, webhook_endpoints e
       WHERE d.id = :id AND d.status = 'pending' AND d.next_attempt_at <= now()
         AND m.id = d.message_id AND e.id = d.endpoint_id
       RETURNING d.id, d.attempts, d.endpoint_id, m.id AS message_id, m.body, e.url, e.secret,
                 e.removed_at"""
)
RECORD_ATTEMPT = text(
    """INSERT INTO delivery_attempts (delivery_id, status_code, duration_ms, error)
       VALUES (:id, :status_code, :duration_ms, :error)"""
)
SETTLE = text(
    """UPDATE webhook_deliveries SET
           attempts = attempts + 1, status = :status, last_status_code = :status_code,
           last_error = :error, next_attempt_at = :next_attempt_at,
           delivered_at = CASE WHEN :status = 'delivered' THEN now() END
       WHERE id = :id"""
)
DUE = text(
    """SELECT id FROM webhook_deliveries
       WHERE status = 'pending' AND next_attempt_at <= now()
       ORDER BY next_attempt_at LIMIT :batch"""
)
RESEND = text(
    """UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = now()
       WHERE id = :id RETURNING id"""
)
OF_ENDPOINT = text(
    """SELECT d.id, d.message_id, m.type, d.status, d.attempts, d.last_status_code,
              d.last_error, d.next_attempt_at, d.delivered_at
       FROM webhook_deliveries d JOIN outbox_messages m ON m.id = d.message_id
       WHERE d.endpoint_id = :endpoint AND (CAST(:status AS text) IS NULL OR d.status = :status)
       ORDER BY d.created_at DESC, d.id LIMIT :limit"""
)


def message_id() -> str:
    return "msg_" + secrets.token_hex(12)


def entitlements_updated(owner: Owner, result: UserRecompute, now: datetime) -> dict[str, Any]:
    """The body of `entitlements.updated` (CONTRACT section 9)."""
    return {
        "id": message_id(),
        "type": "entitlements.updated",
        "created_at": iso_utc(now),
        "data": {
            "project_id": owner.project_id,
            "user_id": owner.user_id,
            "version": result.version,
            "entitlements": entitlements_json(result.grants),
            "previous": entitlements_json(result.previous),
        },
    }


def write_entitlement_changes(tx: Connection, recomputed: Recomputed) -> list[str]:
    """A message for each user whose entitlements changed; the new deliveries' ids."""
    now = datetime.now(UTC)
    delivery_ids: list[str] = []
    for owner, result in recomputed.items():
        if result.changed:
            body = entitlements_updated(owner, result, now)
            delivery_ids += _write(tx, owner.project_id, body)
    return delivery_ids


def write_test_message(tx: Connection, project_id: str, endpoint_id: str) -> list[str]:
    body = {
        "id": message_id(),
        "type": "webhook.test",
        "created_at": iso_utc(datetime.now(UTC)),
        "data": {"project_id": project_id, "endpoint_id": endpoint_id},
    }
    return _write(tx, project_id, body, only_endpoint=endpoint_id)


def _write(
    tx: Connection, project_id: str, body: dict[str, Any], only_endpoint: str | None = None
) -> list[str]:
    params = {
        "id": body["id"],
        "p": project_id,
        "type": body["type"],
        "body": json.dumps(body, separators=(",", ":")),
        "only": only_endpoint,
    }
    return list(tx.execute(WRITE_MESSAGE, params).scalars())


def claim(tx: Connection, delivery_id: str, lease_s: float) -> Row[Any] | None:
    """The delivery with its message and endpoint, if it is due; leased for `lease_s`."""
    return tx.execute(CLAIM, {"id": delivery_id, "lease_s": lease_s}).first()


def settle(
    tx: Connection,
    delivery_id: str,
    status: DeliveryStatus,
    status_code: int | None,
    duration_ms: int,
    error: str | None,
    retry_in_s: int | None,
) -> None:
    """Record the attempt, and where the delivery stands after it."""
    error = error[:MAX_ERROR_CHARS] if error else None
    tx.execute(
        RECORD_ATTEMPT,
        {"id": delivery_id, "status_code": status_code, "duration_ms": duration_ms, "error": error},
    )
    next_at = datetime.now(UTC) + timedelta(seconds=retry_in_s) if retry_in_s is not None else None
    tx.execute(
        SETTLE,
        {
            "id": delivery_id,
            "status": status.value,
            "status_code": status_code,
            "error": error,
            "next_attempt_at": next_at,
        },
    )


def due(tx: Connection, batch: int) -> list[str]:
    return list(tx.execute(DUE, {"batch": batch}).scalars())


def resend(tx: Connection, delivery_id: str) -> bool:
    """Pending again, due now, with a fresh schedule; earlier attempts stay recorded."""
    return tx.execute(RESEND, {"id": delivery_id}).first() is not None


def deliveries_of(
    tx: Connection, endpoint_id: str, status: DeliveryStatus | None, limit: int
) -> list[dict[str, Any]]:
    params = {"endpoint": endpoint_id, "status": status.value if status else None, "limit": limit}
    return [
        {
            "id": row.id,
            "message_id": row.message_id,
            "type": row.type,
            "status": row.status,
            "attempts": row.attempts,
            "last_status_code": row.last_status_code,
            "last_error": row.last_error,
            "next_attempt_at": iso_utc(row.next_attempt_at),
            "delivered_at": iso_utc(row.delivered_at),
        }
        for row in tx.execute(OF_ENDPOINT, params)
    ]


def retry_delay_s(attempts_done: int, schedule: Sequence[int]) -> int | None:
    """Seconds until the next try after `attempts_done` failed tries; None: give up."""
    return schedule[attempts_done - 1] if attempts_done <= len(schedule) else None

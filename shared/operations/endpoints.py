"""Operators' actions on outgoing webhooks (CONTRACT section 9), for the CLI and the admin API:
endpoints of a project, a test message, an endpoint's deliveries, a resend."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

from shared.outgoing import endpoints, outbox
from shared.outgoing.endpoints import Endpoint, EndpointRefused
from shared.statuses import DeliveryStatus

SendDeliveries = Callable[[list[str]], None]


def add(engine: Engine, project_id: str, url: object, allow_http: bool) -> Endpoint:
    """The new endpoint, with its signing secret: the only time the secret is shown."""
    validated = endpoints.validate_url(url, allow_http)
    with engine.begin() as tx:
        return endpoints.add_endpoint(tx, project_id, validated, allow_http)


def of_project(engine: Engine, project_id: str) -> list[Endpoint]:
    with engine.connect() as conn:
        return endpoints.endpoints_of(conn, project_id)


def remove(engine: Engine, endpoint_id: str) -> None:
    with engine.begin() as tx:
        if not endpoints.remove_endpoint(tx, endpoint_id):
            raise EndpointRefused(f"no endpoint {endpoint_id!r}", status=404)


def send_test(engine: Engine, send: SendDeliveries, endpoint_id: str) -> str:
    """A `webhook.test` message to this endpoint alone; the delivery's id."""
    with engine.begin() as tx:
        endpoint = endpoints.get_endpoint(tx, endpoint_id)
        if endpoint is None:
            raise EndpointRefused(f"no endpoint {endpoint_id!r}", status=404)
        delivery_ids = outbox.write_test_message(tx, endpoint.project_id, endpoint_id)
    send(delivery_ids)
    return delivery_ids[0]


def deliveries(
    engine: Engine, endpoint_id: str, status: DeliveryStatus | None, limit: int
) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        if endpoints.get_endpoint(conn, endpoint_id) is None:
            raise EndpointRefused(f"no endpoint {endpoint_id!r}", status=404)
        return outbox.deliveries_of(conn, endpoint_id, status, limit)


def resend(engine: Engine, send: SendDeliveries, delivery_id: str) -> None:
    with engine.begin() as tx:
        if not outbox.resend(tx, delivery_id):
            raise EndpointRefused(f"no delivery {delivery_id!r}", status=404)
    send([delivery_id])

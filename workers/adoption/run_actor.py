"""The bodies of the import and resync actors: carry out the request, or refuse it clearly when
the worker has no Stripe key."""

from __future__ import annotations

from typing import Any

import structlog

from shared.db.imports import finish_import
from shared.statuses import RunStatus
from shared.stripe_api import NO_STRIPE_KEY
from workers.adoption.importer import Importer, ImportRefused
from workers.adoption.resync import resync_customer
from workers.bootstrap import WorkerParts
from workers.reconciliation.runner import Reconciler

log = structlog.get_logger("workers.adoption")


def run_import_or_refuse(parts: WorkerParts, import_id: str) -> None:
    if parts.stripe_client is None:
        finish_import(parts.engine, import_id, RunStatus.FAILED, NO_STRIPE_KEY, errors=1)
        return
    try:
        Importer.from_parts(parts, parts.stripe_client).run(import_id)
    except ImportRefused as exc:
        log.error("import.refused", import_id=import_id, reason=str(exc))


def resync_or_refuse(parts: WorkerParts, customer_id: str) -> dict[str, Any]:
    if parts.stripe_client is None:
        raise RuntimeError(NO_STRIPE_KEY)
    return resync_customer(Reconciler.from_parts(parts, parts.stripe_client), customer_id)

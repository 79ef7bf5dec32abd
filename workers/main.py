"""The worker process's composition root; `dramatiq workers.main` imports it."""

from __future__ import annotations

from functools import partial

from shared.log_setup import configure_logging
from shared.settings import load_settings
from workers.actors import (
    declare_adoption_actors,
    declare_enrichment_actors,
    declare_event_actors,
    declare_outgoing_actors,
    declare_reconciliation_actor,
    declare_relay_actor,
)
from workers.adoption.run_actor import resync_or_refuse, run_import_or_refuse
from workers.batching import EventBatcher
from workers.bootstrap import build_worker_parts
from workers.enrichment import Enricher
from workers.outgoing.relay import relay_due_deliveries
from workers.outgoing.sender import LEASE_MARGIN_S
from workers.prometheus.dramatiq_middleware import DramatiqMetrics
from workers.reconciliation.run_actor import run_or_refuse
from workers.relay import relay_stranded_events
from workers.store_watch import watch_stores

settings = load_settings()
configure_logging(settings.log_format, settings.log_level)
parts = build_worker_parts(settings)
broker = parts.broker
broker.add_middleware(DramatiqMetrics())

declare_event_actors(broker, parts.inbox, EventBatcher(parts.inbox))
declare_relay_actor(
    broker,
    partial(relay_stranded_events, parts.engine, parts.enqueue_event, settings.relay_after_s),
)
declare_reconciliation_actor(broker, partial(run_or_refuse, parts))
declare_adoption_actors(
    broker, partial(run_import_or_refuse, parts), partial(resync_or_refuse, parts)
)
declare_outgoing_actors(
    broker,
    parts.sender.send,
    partial(relay_due_deliveries, parts.engine, parts.send_deliveries),
    time_limit_ms=int((settings.webhook_timeout_s + LEASE_MARGIN_S) * 1000),
)
enricher = Enricher(parts.uow, parts.stripe_client)
declare_enrichment_actors(broker, enricher.customer_owner, enricher.session_product)
watch_stores(parts, broker)

"""GET /api/v1/openapi.json: the OpenAPI 3.1 document of the whole HTTP API, as a plain dict.

Written by hand next to the routes (tests/api/ checks that every route of ingress.app.routes() is
documented and vice versa, and runs schemathesis against it). No auth: it describes, never serves.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from shared.db.imports import SUMMARY_COUNTERS as IMPORT_COUNTERS
from shared.db.reconciliation_runs import SUMMARY_COUNTERS
from shared.operations.customer_links import CUSTOMER_ID_PATTERN
from shared.settings import MAX_DAYS_BACK
from shared.statuses import DeliveryStatus, EventStatus, RunStatus
from shared.tenants import PROJECT_ID_PATTERN as PROJECT_ID_RE

Json = dict[str, Any]

PROJECT_ID_PATTERN = PROJECT_ID_RE.pattern
EVENT_STATUSES = [status.value for status in EventStatus]
RUN_STATUSES = [status.value for status in RunStatus]
MONEY = ("gross", "refunded", "net")
APP_AUTH: list[Json] = [{"appBearer": []}, {"appApiKey": []}]
ADMIN_AUTH: list[Json] = [{"adminBearer": []}]


def _ref(name: str) -> Json:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(description: str, schema: str) -> Json:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


def _error(description: str) -> Json:
    return _json(description, "Error")


def _obj(properties: Json, required: list[str] | None = None, **extra: Any) -> Json:
    return {"type": "object", "properties": properties, "required": required or [], **extra}


def _path_param(name: str, description: str, **schema: Any) -> Json:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string", "minLength": 1, **schema},
    }


NULLABLE_TIME: Json = {"type": ["string", "null"], "format": "date-time"}
PROJECT_PARAM = _path_param("project_id", "project id", pattern=PROJECT_ID_PATTERN)
USER_PARAM = _path_param("user_id", "the app's own id of the end user")
EVENT_PARAM = _path_param("event_id", "Stripe event id, evt_…")
RUN_PARAM = _path_param("run_id", "reconciliation run id, rec_…")
IMPORT_PARAM = _path_param("import_id", "import id, imp_…")
ENDPOINT_PARAM = _path_param("endpoint_id", "endpoint id, we_…")
DELIVERY_PARAM = _path_param("delivery_id", "delivery id, dlv_…")
DELIVERY_STATUSES = [status.value for status in DeliveryStatus]
CUSTOMER_PARAM = _path_param(
    "customer_id", "Stripe customer id, cus_…", pattern=CUSTOMER_ID_PATTERN.pattern
)

APP_ERRORS: Json = {
    "401": _error("missing, unknown or revoked API key"),
    "403": _error("the API key belongs to another project"),
}
ADMIN_ERRORS: Json = {
    "401": _error("wrong admin token"),
    "404": _error("no such object, or the admin API is off (ADMIN_API_KEY unset)"),
}

SCHEMAS: Json = {
    "Error": _obj({"error": {"type": "string"}}, ["error"]),
    "EndpointRequest": _obj({"url": {"type": "string", "format": "uri"}}, ["url"]),
    "Endpoint": _obj(
        {
            "id": {"type": "string"},
            "project_id": {"type": "string"},
            "url": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
        },
        ["id", "project_id", "url", "created_at"],
    ),
    "EndpointWithSecret": _obj(
        {
            "id": {"type": "string"},
            "url": {"type": "string"},
            "secret": {"type": "string", "description": "whsec_…, shown once"},
        },
        ["id", "url", "secret"],
    ),
    "EndpointList": _obj(
        {"endpoints": {"type": "array", "items": _ref("Endpoint")}}, ["endpoints"]
    ),
    "Delivery": _obj(
        {
            "id": {"type": "string"},
            "message_id": {"type": "string"},
            "type": {"type": "string"},
            "status": {"enum": DELIVERY_STATUSES},
            "attempts": {"type": "integer"},
            "last_status_code": {"type": ["integer", "null"]},
            "last_error": {"type": ["string", "null"]},
            "next_attempt_at": NULLABLE_TIME,
            "delivered_at": NULLABLE_TIME,
        },
        [
            "id",
            "message_id",
            "type",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "next_attempt_at",
            "delivered_at",
        ],  # fmt: skip
    ),
    "DeliveryList": _obj(
        {"deliveries": {"type": "array", "items": _ref("Delivery")}}, ["deliveries"]
    ),
    "Queued": _obj(
        {
            "customer_id": {"type": "string"},
            "queued": {"const": True},
            "message": {"type": "string"},
        }
    ),
    "Resent": _obj({"delivery_id": {"type": "string"}, "resent": {"const": True}}),
    "ImportRequest": _obj({"resume": {"type": "string", "description": "imp_… to resume"}}),
    "ImportStarted": _obj({"import_id": {"type": "string"}}, ["import_id"]),
    "Import": _obj(
        {
            "import_id": {"type": "string"},
            "status": {"enum": RUN_STATUSES},
            **{name: {"type": "integer"} for name in IMPORT_COUNTERS},
            "started_at": {"type": "string", "format": "date-time"},
            "finished_at": NULLABLE_TIME,
            "stage": {"type": "string"},
            "pages": {"type": "integer"},
        },
        ["import_id", "status", *IMPORT_COUNTERS, "started_at", "finished_at"],
    ),
    "Resync": _obj(
        {
            "customer_id": {"type": "string"},
            "subscriptions_checked": {"type": "integer"},
            "purchases_checked": {"type": "integer"},
            "corrected": {"type": "integer"},
        },
        ["customer_id", "subscriptions_checked", "purchases_checked", "corrected"],
    ),
    "SubscriptionView": _obj(
        {
            "id": {"type": "string"},
            "status": {"type": "string"},
            "current_period_end": NULLABLE_TIME,
            "product_ids": {"type": "array", "items": {"type": "string"}},
            "customer_id": {"type": ["string", "null"]},
        },
        ["id", "status", "current_period_end", "product_ids", "customer_id"],
    ),
    "PurchaseView": _obj(
        {
            "id": {"type": "string"},
            "status": {"type": "string"},
            "amount": {"type": ["integer", "null"]},
            "amount_refunded": {"type": "integer"},
            "currency": {"type": ["string", "null"]},
            "product_id": {"type": ["string", "null"]},
        },
        ["id", "status", "amount", "amount_refunded", "currency", "product_id"],
    ),
    "UserView": _obj(
        {
            "project_id": {"type": "string"},
            "user_id": {"type": "string"},
            "entitlements": {"type": "object", "additionalProperties": _ref("Entitlement")},
            "customers": {"type": "array", "items": {"type": "string"}},
            "subscriptions": {"type": "array", "items": _ref("SubscriptionView")},
            "purchases": {"type": "array", "items": _ref("PurchaseView")},
        },
        ["project_id", "user_id", "entitlements", "customers", "subscriptions", "purchases"],
    ),
    "CustomerView": _obj(
        {
            "customer_id": {"type": "string"},
            "project_id": {"type": ["string", "null"]},
            "user_id": {"type": ["string", "null"]},
            "link_source": {"enum": ["metadata", "api", None]},
            "subscriptions": {"type": "array", "items": _ref("SubscriptionView")},
            "purchases": {"type": "array", "items": _ref("PurchaseView")},
        },
        ["customer_id", "project_id", "user_id", "link_source", "subscriptions", "purchases"],
    ),
    "CustomerLinkRequest": _obj(
        {"user_id": {"type": "string", "minLength": 1, "maxLength": 255}}, ["user_id"]
    ),
    "CustomerLink": _obj(
        {
            "project_id": {"type": "string"},
            "customer_id": {"type": "string"},
            "user_id": {"type": "string"},
            "source": {"enum": ["api", "metadata"]},
        },
        ["project_id", "customer_id", "user_id", "source"],
    ),
    "StripeEvent": _obj(
        {
            "id": {"type": "string", "minLength": 1, "description": "evt_…"},
            "type": {"type": "string", "minLength": 1},
            "created": {"type": "integer", "description": "Unix seconds"},
            "api_version": {"type": ["string", "null"]},
            "livemode": {"type": "boolean"},
            "data": _obj({"object": {"type": "object"}}),
        },
        ["id", "type", "created"],
        description="A Stripe event as Stripe posts it; stored untouched.",
    ),
    "WebhookReceived": _obj(
        {
            "received": {"const": True},
            "event_id": {"type": "string"},
            "duplicate": {"type": "boolean", "description": "the id was already stored"},
        },
        ["received", "event_id", "duplicate"],
    ),
    "Health": _obj({"status": {"const": "ok"}}, ["status"]),
    "Readiness": _obj(
        {
            "status": {"enum": ["ready", "unavailable"]},
            "checks": _obj(
                {
                    "postgres": {"type": "boolean"},
                    "redis": {"type": "boolean"},
                    "schema": {"type": "boolean"},
                },
                ["postgres", "redis", "schema"],
            ),
            "failed": {"type": "array", "items": {"enum": ["postgres", "redis", "schema"]}},
            "reasons": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "why each failed, e.g. schema: at 0002, newest 0005: run "
                "billing migrate",
            },
        },
        ["status", "checks"],
    ),
    "Entitlement": _obj(
        {
            "source": {"enum": ["subscription", "purchase"]},
            "source_id": {"type": "string", "description": "sub_… or pi_…"},
            "product_id": {"type": "string", "description": "prod_…"},
            "expires_at": {
                **NULLABLE_TIME,
                "description": "subscription period end (UTC); null for a purchase (lifetime)",
            },
        },
        ["source", "source_id", "product_id", "expires_at"],
    ),
    "UserEntitlements": _obj(
        {
            "project_id": {"type": "string"},
            "user_id": {"type": "string"},
            "entitlements": {
                "type": "object",
                "additionalProperties": _ref("Entitlement"),
                "description": "active entitlements by key; empty for a user never seen",
            },
        },
        ["project_id", "user_id", "entitlements"],
    ),
    "SubscriptionMetrics": _obj(
        {
            "project_id": {"type": "string"},
            "active_subscriptions": {
                "type": "integer",
                "minimum": 0,
                "description": "active + trialing + past_due",
            },
            "by_status": {"type": "object", "additionalProperties": {"type": "integer"}},
        },
        ["project_id", "active_subscriptions", "by_status"],
    ),
    "CurrencyRevenue": _obj(
        {
            **{name: {"type": "integer", "description": "minor units"} for name in MONEY},
            "purchases": {"type": "integer", "minimum": 0, "description": "how many"},
        },
        ["gross", "refunded", "net", "purchases"],
    ),
    "InvoiceRevenue": _obj(
        {
            **{name: {"type": "integer", "description": "minor units"} for name in MONEY},
            "invoices": {"type": "integer", "minimum": 0, "description": "paid invoices"},
        },
        ["gross", "refunded", "net", "invoices"],
    ),
    "RevenueMetrics": _obj(
        {
            "project_id": {"type": "string"},
            "currencies": {
                "type": "object",
                "additionalProperties": _ref("CurrencyRevenue"),
                "description": "one-time purchases",
            },
            "subscriptions": {
                "type": "object",
                "additionalProperties": _ref("InvoiceRevenue"),
                "description": "paid subscription invoices (amount_paid) and their refunds",
            },
        },
        ["project_id", "currencies", "subscriptions"],
    ),
    "CurrencyMrr": _obj(
        {
            "mrr": {"type": "integer", "minimum": 0, "description": "minor units a month"},
            "arr": {"type": "integer", "minimum": 0, "description": "12 × mrr"},
            "paying_subscriptions": {"type": "integer", "minimum": 0},
            "not_counted": {
                "type": "integer",
                "minimum": 0,
                "description": "paying subscriptions with a tiered or metered price (counted 0)",
            },
        },
        ["mrr", "arr", "paying_subscriptions", "not_counted"],
    ),
    "MrrMetrics": _obj(
        {
            "project_id": {"type": "string"},
            "currencies": {"type": "object", "additionalProperties": _ref("CurrencyMrr")},
        },
        ["project_id", "currencies"],
    ),
    "MovementMetrics": _obj(
        {
            "project_id": {"type": "string"},
            "from": {"type": "string", "format": "date"},
            "to": {"type": "string", "format": "date"},
            "subscriptions": _obj(
                {
                    name: {"type": "integer", "minimum": 0}
                    for name in (
                        "active_at_start",
                        "new",
                        "churned",
                        "reactivated",
                        "active_at_end",
                    )
                },
                ["active_at_start", "new", "churned", "reactivated", "active_at_end"],
            ),
            "churn_rate": {"type": ["number", "null"], "description": "churned ÷ active_at_start"},
            "currencies": {
                "type": "object",
                "additionalProperties": _obj(
                    {
                        name: {"type": "integer", "minimum": 0}
                        for name in ("new_mrr", "churned_mrr", "expansion_mrr", "contraction_mrr")
                    },
                    ["new_mrr", "churned_mrr", "expansion_mrr", "contraction_mrr"],
                ),
            },
        },
        ["project_id", "from", "to", "subscriptions", "churn_rate", "currencies"],
    ),
    "WebhookEvent": _obj(
        {
            "id": {"type": "string"},
            "type": {"type": "string"},
            "status": {"enum": EVENT_STATUSES},
            "attempts": {"type": "integer", "minimum": 0},
            "error_message": {"type": ["string", "null"]},
            "received_at": {"type": "string", "format": "date-time"},
            "processed_at": NULLABLE_TIME,
        },
        ["id", "type", "status", "attempts", "error_message", "received_at", "processed_at"],
    ),
    "WebhookEventList": _obj(
        {"events": {"type": "array", "items": _ref("WebhookEvent")}, "count": {"type": "integer"}},
        ["events", "count"],
    ),
    "EventRequeued": _obj(
        {"event_id": {"type": "string"}, "requeued": {"const": True}}, ["event_id", "requeued"]
    ),
    "FailedRequeued": _obj({"requeued": {"type": "integer", "minimum": 0}}, ["requeued"]),
    "ReconciliationRequest": _obj(
        {"days_back": {"type": "integer", "minimum": 1, "maximum": MAX_DAYS_BACK}},
        description="days_back defaults to RECONCILIATION_DAYS_BACK",
    ),
    "ReconciliationAccepted": _obj({"run_id": {"type": "string"}}, ["run_id"]),
    "ReconciliationRun": _obj(
        {
            "run_id": {"type": "string"},
            "status": {"enum": RUN_STATUSES},
            **{name: {"type": "integer", "minimum": 0} for name in SUMMARY_COUNTERS},
            "started_at": {"type": "string", "format": "date-time"},
            "finished_at": {**NULLABLE_TIME, "description": "null until the run ends"},
            "days_back": {"type": "integer"},
            "trigger": {"type": "string"},
            "error_message": {"type": ["string", "null"]},
        },
        ["run_id", "status", *SUMMARY_COUNTERS, "started_at", "finished_at"],
    ),
}


def _get(summary: str, responses: Json, **extra: Any) -> Json:
    return {"get": {"summary": summary, "responses": responses, **extra}}


WEBHOOK: Json = {
    "post": {
        "summary": "Receive a Stripe event: verify, store, enqueue",
        "security": [],
        "parameters": [
            {
                "name": "Stripe-Signature",
                "in": "header",
                "required": True,
                "description": "t=<unix seconds>,v1=<hex HMAC-SHA256>; several v1 allowed",
                "schema": {"type": "string", "minLength": 1},
            }
        ],
        "requestBody": {
            "required": True,
            "description": "at most 1 MiB; judged by content, whatever the Content-Type",
            "content": {"application/json": {"schema": _ref("StripeEvent")}},
        },
        "responses": {
            "200": _json("stored (or already stored: duplicate true)", "WebhookReceived"),
            "400": _error("bad or missing signature, stale timestamp, or not a Stripe event"),
            "413": _error("body larger than 1 MiB"),
            "503": _error("PostgreSQL cannot take the event; Stripe retries"),
        },
    }
}

PATHS: Json = {
    "/health": _get("Process serves", {"200": _json("always", "Health")}, security=[]),
    "/live": _get("Liveness", {"200": _json("always", "Health")}, security=[]),
    "/ready": _get(
        "Readiness: PostgreSQL and Redis answer, and the schema is the newest",
        {"200": _json("all is well", "Readiness"), "503": _json("one failed", "Readiness")},
        security=[],
    ),
    "/api/v1/openapi.json": _get(
        "This document",
        {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {}}}},
        security=[],
    ),
    "/api/v1/webhooks/stripe": WEBHOOK,
    "/api/v1/entitlements/project/{project_id}/user/{user_id}": _get(
        "A user's active entitlements",
        {"200": _json("entitlements by key", "UserEntitlements"), **APP_ERRORS},
        parameters=[PROJECT_PARAM, USER_PARAM],
        security=APP_AUTH,
    ),
    "/api/v1/projects/{project_id}/customers/{customer_id}": {
        "get": {
            "summary": "The customer's user in this project (API link, else metadata link)",
            "security": APP_AUTH,
            "parameters": [PROJECT_PARAM, CUSTOMER_PARAM],
            "responses": {
                "200": _json("the link", "CustomerLink"),
                "400": _error("not a customer id (cus_…)"),
                **APP_ERRORS,
                "404": _error("the customer is not linked to a user of this project"),
            },
        },
        "put": {
            "summary": "Link a Stripe customer to the app's user; outranks metadata links",
            "security": APP_AUTH,
            "parameters": [PROJECT_PARAM, CUSTOMER_PARAM],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("CustomerLinkRequest")}},
            },
            "responses": {
                "200": _json(
                    "linked; the users who gained or lost objects recomputed", "CustomerLink"
                ),
                "400": _error("not a customer id, or no user_id"),
                **APP_ERRORS,
                "409": _error("the customer belongs to another project"),
            },
        },
        "delete": {
            "summary": "Remove the API link; a metadata link applies again",
            "security": APP_AUTH,
            "parameters": [PROJECT_PARAM, CUSTOMER_PARAM],
            "responses": {
                "204": {"description": "no API link any more"},
                "400": _error("not a customer id (cus_…)"),
                **APP_ERRORS,
            },
        },
    },
    "/api/v1/metrics/project/{project_id}/subscriptions": _get(
        "Subscriptions by status",
        {"200": _json("counts", "SubscriptionMetrics"), **APP_ERRORS},
        parameters=[PROJECT_PARAM],
        security=APP_AUTH,
    ),
    "/api/v1/metrics/project/{project_id}/revenue": _get(
        "Revenue of one-time purchases and of subscription invoices per currency, minor units",
        {"200": _json("sums", "RevenueMetrics"), **APP_ERRORS},
        parameters=[PROJECT_PARAM],
        security=APP_AUTH,
    ),
    "/api/v1/metrics/project/{project_id}/mrr": _get(
        "MRR and ARR per currency of the paying (active, past_due) subscriptions",
        {"200": _json("MRR", "MrrMetrics"), **APP_ERRORS},
        parameters=[PROJECT_PARAM],
        security=APP_AUTH,
    ),
    "/api/v1/metrics/project/{project_id}/movements": _get(
        "New, churned and reactivated subscriptions and MRR movements in a window of UTC days",
        {
            "200": _json("movements", "MovementMetrics"),
            "400": _error("from/to missing, not YYYY-MM-DD, reversed, or over 366 days"),
            **APP_ERRORS,
        },
        parameters=[
            PROJECT_PARAM,
            *(
                {
                    "name": name,
                    "in": "query",
                    "required": True,
                    "schema": {"type": "string", "format": "date"},
                }
                for name in ("from", "to")
            ),
        ],
        security=APP_AUTH,
    ),
    "/api/v1/admin/webhook-events": _get(
        "Stored webhook events, newest first",
        {
            "200": _json("events", "WebhookEventList"),
            "400": _error("bad status or limit"),
            **ADMIN_ERRORS,
        },
        parameters=[
            {"name": "status", "in": "query", "schema": {"enum": EVENT_STATUSES}},
            {
                "name": "limit",
                "in": "query",
                "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100},
            },
        ],
        security=ADMIN_AUTH,
    ),
    "/api/v1/admin/webhook-events/retry-failed": {
        "post": {
            "summary": "Re-enqueue every failed event",
            "security": ADMIN_AUTH,
            "responses": {"202": _json("requeued", "FailedRequeued"), **ADMIN_ERRORS},
        }
    },
    "/api/v1/admin/webhook-events/{event_id}": _get(
        "One stored webhook event",
        {"200": _json("the event", "WebhookEvent"), **ADMIN_ERRORS},
        parameters=[EVENT_PARAM],
        security=ADMIN_AUTH,
    ),
    "/api/v1/admin/webhook-events/{event_id}/retry": {
        "post": {
            "summary": "Re-enqueue one failed (or stuck received) event",
            "security": ADMIN_AUTH,
            "parameters": [EVENT_PARAM],
            "responses": {
                "202": _json("requeued", "EventRequeued"),
                "409": _error("the event is processed or skipped"),
                **ADMIN_ERRORS,
            },
        }
    },
    "/api/v1/admin/reconciliation": {
        "post": {
            "summary": "Start a reconciliation run",
            "security": ADMIN_AUTH,
            "requestBody": {
                "required": False,
                "content": {"application/json": {"schema": _ref("ReconciliationRequest")}},
            },
            "responses": {
                "202": _json("run started", "ReconciliationAccepted"),
                "400": _error("bad days_back or body"),
                "503": _error("STRIPE_SECRET_KEY unset, or the queue is unavailable"),
                **ADMIN_ERRORS,
            },
        }
    },
    "/api/v1/admin/reconciliation/{run_id}": _get(
        "A reconciliation run and its summary",
        {"200": _json("the run", "ReconciliationRun"), **ADMIN_ERRORS},
        parameters=[RUN_PARAM],
        security=ADMIN_AUTH,
    ),
    "/api/v1/admin/imports": {
        "post": {
            "summary": "Import the whole Stripe account in a worker, or resume a stopped import",
            "security": ADMIN_AUTH,
            "requestBody": {
                "required": False,
                "content": {"application/json": {"schema": _ref("ImportRequest")}},
            },
            "responses": {
                "202": _json("queued for a worker", "ImportStarted"),
                "400": _error("body is not {} or {resume: imp_…}"),
                **ADMIN_ERRORS,
                "409": _error("that import is finished"),
                "503": _error("no STRIPE_SECRET_KEY, or the queue is unavailable"),
            },
        }
    },
    "/api/v1/admin/imports/{import_id}": _get(
        "An import: where it stands and its summary",
        {"200": _json("the import", "Import"), **ADMIN_ERRORS},
        parameters=[IMPORT_PARAM],
        security=ADMIN_AUTH,
    ),
    "/api/v1/admin/customers/{customer_id}/resync": {
        "post": {
            "summary": "Fetch one customer's subscriptions and payments from Stripe, correct now",
            "security": ADMIN_AUTH,
            "parameters": [CUSTOMER_PARAM],
            "responses": {
                "200": _json("corrected", "Resync"),
                "400": _error("not a customer id (cus_…)"),
                **ADMIN_ERRORS,
                "502": _error("the Stripe API failed"),
                "503": _error("no STRIPE_SECRET_KEY, or the queue is unavailable"),
                "202": _json("queued: no worker finished it within RESYNC_WAIT_SECONDS", "Queued"),
            },
        }
    },
    "/api/v1/admin/customers/{customer_id}": _get(
        "A customer's owner, how it was linked, and its objects",
        {"200": _json("the customer", "CustomerView"), "400": _error("not cus_…"), **ADMIN_ERRORS},
        parameters=[CUSTOMER_PARAM],
        security=ADMIN_AUTH,
    ),
    "/api/v1/admin/projects/{project_id}/endpoints": {
        "post": {
            "summary": "Add an endpoint; its signing secret is shown in this answer only",
            "security": ADMIN_AUTH,
            "parameters": [PROJECT_PARAM],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("EndpointRequest")}},
            },
            "responses": {
                "201": _json("added", "EndpointWithSecret"),
                "400": _error("not an https:// URL (http:// only when allowed)"),
                **ADMIN_ERRORS,
            },
        },
        "get": {
            "summary": "A project's endpoints",
            "security": ADMIN_AUTH,
            "parameters": [PROJECT_PARAM],
            "responses": {"200": _json("the endpoints", "EndpointList"), **ADMIN_ERRORS},
        },
    },
    "/api/v1/admin/endpoints/{endpoint_id}": {
        "delete": {
            "summary": "Stop sending to an endpoint; its deliveries stay listed",
            "security": ADMIN_AUTH,
            "parameters": [ENDPOINT_PARAM],
            "responses": {"204": {"description": "removed"}, **ADMIN_ERRORS},
        }
    },
    "/api/v1/admin/endpoints/{endpoint_id}/deliveries": _get(
        "An endpoint's deliveries, newest first",
        {
            "200": _json("deliveries", "DeliveryList"),
            "400": _error("bad status or limit"),
            **ADMIN_ERRORS,
        },  # fmt: skip
        parameters=[
            ENDPOINT_PARAM,
            {
                "name": "status",
                "in": "query",
                "required": False,
                "schema": {"enum": DELIVERY_STATUSES},
            },
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "schema": {"type": "integer", "minimum": 1, "maximum": 1000},
            },
        ],
        security=ADMIN_AUTH,
    ),
    "/api/v1/admin/deliveries/{delivery_id}/resend": {
        "post": {
            "summary": "Send a delivery again now, with a fresh retry schedule",
            "security": ADMIN_AUTH,
            "parameters": [DELIVERY_PARAM],
            "responses": {"202": _json("due again", "Resent"), **ADMIN_ERRORS},
        }
    },
    "/api/v1/admin/projects/{project_id}/users/{user_id}": _get(
        "What a user has, and why: entitlements, customers, subscriptions, purchases",
        {"200": _json("the user", "UserView"), "400": _error("bad project id"), **ADMIN_ERRORS},
        parameters=[PROJECT_PARAM, USER_PARAM],
        security=ADMIN_AUTH,
    ),
}

PATHS["/metrics"] = _get(
    "Prometheus metrics of every web process (CONTRACT section 12); the gauges of a store that "
    "does not answer are left out, never the answer",
    {
        "200": {
            "description": "Prometheus text format 0.0.4",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        },
        "401": _error("METRICS_TOKEN is set and the bearer token is missing or wrong"),
    },
    security=[{"metricsBearer": []}, {}],  # open while METRICS_TOKEN is not set
)

PATHS["/api/v1/docs"] = _get(
    "This document as a page (Swagger UI, served by the service itself)",
    {"200": {"description": "HTML", "content": {"text/html": {"schema": {"type": "string"}}}}},
    security=[],
)

# Which group an operation belongs to, by the start of its path (the first that matches).
TAGS = (
    ("/api/v1/webhooks/", "webhooks", "Stripe's events in"),
    ("/api/v1/admin/", "admin", "operators: events, reconciliation, imports, endpoints, users"),
    ("/api/v1/metrics/", "metrics", "subscription and revenue metrics of a project"),
    ("/api/v1/entitlements/", "apps", "what apps read and link with their API keys"),
    ("/api/v1/projects/", "apps", ""),
    ("/api/v1/", "meta", "this document"),
    ("/metrics", "observability", "Prometheus metrics"),
    ("/", "health", "liveness and readiness"),
)
# Never a store on their path: these answer without PostgreSQL or Redis.
STORELESS = {"/health", "/live", "/api/v1/openapi.json", "/api/v1/docs", "/metrics"}


def _operation_id(method: str, path: str) -> str:
    """`get_admin_projects_project_id_users_user_id`: the method and the path's words, so it is
    unique as long as the paths are and stays the same while they do."""
    words = [part.strip("{}").replace("-", "_").replace(".", "_") for part in path.split("/")]
    return "_".join([method, *(w for w in words if w and w not in ("api", "v1"))])


def _finish(paths: Json) -> None:
    """What every operation carries: an operationId, a tag, and the 500 (and, for those that
    reach a store, the 503) it can answer."""
    for path, item in paths.items():
        tag = next(name for prefix, name, _ in TAGS if path.startswith(prefix))
        for method, operation in item.items():
            operation.setdefault("operationId", _operation_id(method, path))
            operation.setdefault("tags", [tag])
            responses = operation["responses"]
            responses.setdefault("500", _error("unexpected error, logged with its traceback"))
            if path not in STORELESS:
                responses.setdefault("503", _error("PostgreSQL or Redis cannot answer: retry"))


_finish(PATHS)

OPENAPI_DOCUMENT: Json = {
    "openapi": "3.1.0",
    "info": {
        "title": "billing",
        "version": "1",
        "description": "Stripe webhooks in; entitlements and metrics out.",
    },
    "tags": [
        {"name": name, "description": description} for _, name, description in TAGS if description
    ],
    "paths": PATHS,
    "components": {
        "schemas": SCHEMAS,
        "securitySchemes": {
            "appBearer": {"type": "http", "scheme": "bearer", "description": "app API key"},
            "appApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            "adminBearer": {"type": "http", "scheme": "bearer", "description": "ADMIN_API_KEY"},
            "metricsBearer": {"type": "http", "scheme": "bearer", "description": "METRICS_TOKEN"},
        },
    },
}


async def openapi_document(request: Request) -> JSONResponse:
    return JSONResponse(OPENAPI_DOCUMENT)

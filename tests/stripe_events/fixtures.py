"""Stripe's own example objects (``fixtures3.json``) and the 35 captured real events, both read
from tests/fixtures (sources and licences in the README there), and the payload shapes of the
API versions under test."""

from __future__ import annotations

import copy
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

Json = dict[str, Any]

NEW_API = "2025-09-30.clover"
OLD_API = "2024-06-20"
PLAN_API = "2017-08-15"
# "new": 2025-03-31 on; "old": before it; "plan": 2017-era, plans instead of prices.
SHAPES = ("new", "old", "plan")
_API_BY_SHAPE = {"new": NEW_API, "old": OLD_API, "plan": PLAN_API}

FIXTURES_DIR = Path(__file__).resolve().parents[1] / "fixtures"
REAL_EVENTS_PATH = FIXTURES_DIR / "real-events" / "events.json"


def fixtures_path() -> Path:
    """Stripe's own example objects, copied into tests/fixtures (see the README there);
    ``$STRIPE_FIXTURES`` points elsewhere, e.g. at a newer copy."""
    default = FIXTURES_DIR / "stripe-fixtures" / "fixtures3.json"
    return Path(os.environ.get("STRIPE_FIXTURES") or default)


def real_events() -> list[Json]:
    """The captured real events, in the order they were received."""
    events: list[Json] = json.loads(REAL_EVENTS_PATH.read_text())
    return events


@lru_cache(maxsize=4)
def _resources(path: Path) -> dict[str, Json]:
    resources: dict[str, Json] = json.loads(path.read_text())["resources"]
    return resources


# Stripe's placeholder or nonsense values ("obj_123", a plan with no product, random
# huge numbers) that no real object of ours would carry, replaced by plain nulls.
_PLACEHOLDERS_TO_CLEAR: dict[str, str] = {
    "subscription": """billing_cycle_anchor_config pause_collection pending_update
        transfer_data pending_invoice_item_interval next_pending_invoice_item_invoice
        billing_thresholds""",
    "subscription_item": "billing_thresholds",
    "price": "transform_quantity",
    "plan": "transform_usage",
    "invoice": "from_invoice last_finalization_error shipping_cost due_date number",
    "payment_intent": """canceled_at next_action processing transfer_data
        payment_method_configuration_details""",
    "charge": "source transfer_data balance_transaction",
    "checkout.session": """url after_expiration shipping_cost shipping_address_collection
        currency_conversion payment_method_configuration_details collected_information""",
    "customer": "discount",
}


def fixture(name: str) -> Json:
    """A private deep copy of Stripe's example object, its placeholders cleared."""
    obj = copy.deepcopy(_resources(fixtures_path())[name])
    obj.update(dict.fromkeys(_PLACEHOLDERS_TO_CLEAR.get(name, "").split(), None))
    return obj


def api_version_for(shape: str) -> str:
    """The API version whose payloads have the given shape."""
    check_shape(shape)
    return _API_BY_SHAPE[shape]


def check_shape(shape: str) -> None:
    if shape not in SHAPES:
        raise ValueError(f"shape must be one of {SHAPES}, not {shape!r}")

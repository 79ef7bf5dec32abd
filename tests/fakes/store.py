"""The fake's state and Stripe's list semantics, with no HTTP in sight.

Lists are newest first (``created`` desc, then ``id`` desc); a cursor
(``starting_after``/``ending_before``) is located by its object's sort key, so an
object that changed or left the filter between pages does not break pagination.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterable
from typing import Any

from tests.fakes.params import (
    Params,
    StripeApiError,
    bad_param,
    int_param,
    reject_unknown,
    str_param,
    to_int,
)

Json = dict[str, Any]
Filter = Callable[[Json], bool]

KINDS = ("subscription", "payment_intent", "charge", "customer", "checkout.session", "event")
_PAGING = frozenset({"limit", "starting_after", "ending_before", "expand"})
_EXPANDABLE = frozenset(
    {"latest_charge", "customer", "payment_intent", "subscription", "invoice", "charge"}
)
_CREATED_OPS: dict[str, Callable[[int, int], bool]] = {
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
}


def _sort_key(obj: Json) -> tuple[int, str]:
    return (int(obj.get("created") or 0), str(obj["id"]))


class StripeStore:
    """Objects by kind and id; every read hands out a deep copy."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._objects: dict[str, dict[str, Json]] = {kind: {} for kind in KINDS}
        self._line_items: dict[str, list[Json]] = {}

    def put(self, kind: str, obj: Json) -> Json:
        """Insert or replace ``obj`` (by id) in the ``kind`` collection."""
        if kind not in self._objects:
            raise ValueError(f"unknown kind {kind!r}; one of {KINDS}")
        with self._lock:
            self._objects[kind][obj["id"]] = copy.deepcopy(obj)
        return obj

    def put_line_items(self, session_id: str, items: Iterable[Json]) -> None:
        with self._lock:
            self._line_items[session_id] = copy.deepcopy(list(items))

    def update(self, obj_id: str, fields: Json) -> Json:
        """Change top-level fields of a stored object, wherever it is kept."""
        with self._lock:
            for objects in self._objects.values():
                if obj_id in objects:
                    objects[obj_id].update(copy.deepcopy(fields))
                    return copy.deepcopy(objects[obj_id])
        raise KeyError(obj_id)

    def count(self, kind: str) -> int:
        with self._lock:
            return len(self._objects[kind])

    def _find(self, obj_id: str) -> Json | None:
        for objects in self._objects.values():
            if obj_id in objects:
                return objects[obj_id]
        return None

    def retrieve(self, kind: str, obj_id: str, params: Params) -> Json:
        """``GET /v1/<kind>s/{id}``, or Stripe's 404 ``resource_missing``."""
        reject_unknown(params, frozenset({"expand"}))
        with self._lock:
            obj = self._objects[kind].get(obj_id)
            if obj is None:
                raise _missing(kind, obj_id, "id")
            return self._expanded(obj, params.get("expand", []), prefix="")

    def line_items(self, session_id: str, params: Params, url: str) -> Json:
        """The session's line items in their own order, paginated like any list."""
        reject_unknown(params, _PAGING)
        with self._lock:
            if session_id not in self._objects["checkout.session"]:
                raise _missing("checkout.session", session_id, "session")
            items = self._line_items.get(session_id, [])
            return self._page(items, params, url, ordered=False)

    def list_objects(self, kind: str, params: Params, url: str, allowed: frozenset[str]) -> Json:
        """A Stripe list of ``kind``: filters, then newest-first pagination."""
        reject_unknown(params, _PAGING | allowed)
        filters = _filters(kind, params)
        with self._lock:
            matching = [o for o in self._objects[kind].values() if all(f(o) for f in filters)]
            return self._page(matching, params, url, ordered=True, kind=kind)

    def _page(
        self, items: list[Json], params: Params, url: str, *, ordered: bool, kind: str = ""
    ) -> Json:
        limit = int_param(params, "limit", 10)
        assert limit is not None
        if not 1 <= limit <= 100:
            raise bad_param("limit", "Invalid limit: must be between 1 and 100")
        after, before = str_param(params, "starting_after"), str_param(params, "ending_before")
        if after and before:
            raise bad_param("ending_before", "You may only specify one of these parameters: "
                            "starting_after, ending_before.")  # fmt: skip
        if ordered:
            items = sorted(items, key=_sort_key, reverse=True)
            if after:
                key = self._cursor_key(kind, after, "starting_after")
                items = [o for o in items if _sort_key(o) < key]
            if before:
                key = self._cursor_key(kind, before, "ending_before")
                items = [o for o in items if _sort_key(o) > key]
        elif after or before:
            index = _index(
                items, after or before or "", "starting_after" if after else "ending_before"
            )
            items = items[index + 1 :] if after else items[:index]
        page = items[-limit:] if before else items[:limit]
        expand = [_strip_data(e) for e in params.get("expand", [])]
        data = [self._expanded(o, expand, prefix="data.") for o in page]
        return {"object": "list", "url": url, "has_more": len(items) > limit, "data": data}

    def _cursor_key(self, kind: str, cursor: str, param: str) -> tuple[int, str]:
        """Where a cursor sits, even when its object has since left the filter."""
        obj = self._objects[kind].get(cursor)
        if obj is None:
            raise _missing(kind, cursor, param, status=400)
        return _sort_key(obj)

    def _expanded(self, obj: Json, expand: list[str], *, prefix: str) -> Json:
        out = copy.deepcopy(obj)
        for field in expand:
            if "." in field or field not in _EXPANDABLE or field not in out:
                raise bad_param("expand", f"This property cannot be expanded ({prefix}{field}).")
            target = self._find(out[field]) if isinstance(out[field], str) else None
            if target is not None:
                out[field] = copy.deepcopy(target)
        return out


def _missing(kind: str, obj_id: str, param: str, status: int = 404) -> StripeApiError:
    message = f"No such {kind}: '{obj_id}'"
    return StripeApiError(status, message, code="resource_missing", param=param)


def _index(items: list[Json], cursor: str, param: str) -> int:
    for i, obj in enumerate(items):
        if obj["id"] == cursor:
            return i
    raise _missing("object", cursor, param, status=400)


def _strip_data(path: str) -> str:
    if not path.startswith("data."):
        raise bad_param("expand", f"This property cannot be expanded ({path}).")
    return path.removeprefix("data.")


def _filters(kind: str, params: Params) -> list[Filter]:
    filters: list[Filter] = []
    if "created" in params:
        filters.append(_created_filter(params["created"]))
    customer = str_param(params, "customer")
    if customer is not None:
        filters.append(lambda o: o.get("customer") == customer)
    if kind == "subscription":
        filters.append(_status_filter(str_param(params, "status")))
    for name in ("email", "payment_intent"):
        wanted = str_param(params, name)
        if wanted is not None:
            filters.append(_equals(name, wanted))
    if kind == "checkout.session":
        session_status = str_param(params, "status")
        if session_status is not None:
            if session_status not in ("open", "complete", "expired"):
                raise bad_param("status", "Invalid status: must be one of open, complete, expired")
            filters.append(lambda o: o.get("status") == session_status)
    if kind == "event":
        filters.extend(_type_filters(params))
    return filters


def _equals(name: str, wanted: str) -> Filter:
    return lambda o: o.get(name) == wanted


def _created_filter(raw: Any) -> Filter:
    if isinstance(raw, str):
        exact = to_int("created", raw)
        return lambda o: o.get("created") == exact
    if not isinstance(raw, dict):
        raise bad_param("created", "Invalid created: must be an integer or a hash")
    bounds = []
    for op, value in raw.items():
        if op not in _CREATED_OPS:
            raise bad_param(f"created[{op}]", f"Received unknown parameter: created[{op}]")
        bounds.append((_CREATED_OPS[op], to_int(f"created[{op}]", value)))
    return lambda o: all(test(int(o.get("created") or 0), bound) for test, bound in bounds)


_STATUSES = frozenset(
    [
        "active",
        "past_due",
        "unpaid",
        "canceled",
        "incomplete",
        "incomplete_expired",
        "trialing",
        "paused",
    ]
)


def _status_filter(status: str | None) -> Filter:
    """Stripe's default hides canceled subscriptions; ``all`` shows every one."""
    if status is None:
        return lambda o: o.get("status") != "canceled"
    if status == "all":
        return lambda o: True
    if status == "ended":
        return lambda o: o.get("status") in ("canceled", "incomplete_expired")
    if status not in _STATUSES:
        raise bad_param(
            "status", f"Invalid status: must be one of {sorted(_STATUSES)}, all or ended"
        )
    return lambda o: o.get("status") == status


def _type_filters(params: Params) -> list[Filter]:
    event_type, types = str_param(params, "type"), params.get("types")
    if event_type is not None and types is not None:
        raise bad_param("types", "You may only specify one of these parameters: type, types.")
    if event_type is not None and event_type.endswith("*"):
        stem = event_type[:-1]
        return [lambda o: str(o.get("type", "")).startswith(stem)]
    if event_type is not None:
        return [lambda o: o.get("type") == event_type]
    if types is not None:
        wanted = frozenset(types)
        return [lambda o: o.get("type") in wanted]
    return []

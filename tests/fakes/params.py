"""Stripe's form-encoded query parameters, decoded as stripe-python 16 sends them.

The client writes lists as ``expand[0]=…&expand[1]=…`` and dicts as ``created[gte]=…``
(brackets left unescaped); curl users write ``expand[]=…``. All decode to one shape.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

Params = dict[str, Any]

_KEY = re.compile(r"^(?P<base>[^\[\]]+)(?:\[(?P<sub>[^\[\]]*)\])?$")
_LIST_PARAMS = frozenset({"expand", "types"})


class StripeApiError(Exception):
    """An answer in Stripe's error format: ``{"error": {"type", "message", "code", "param"}}``."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        error_type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers or {}
        self.body: dict[str, Any] = {
            "error": {"type": error_type, "message": message, "code": code, "param": param}
        }


def bad_param(param: str, message: str) -> StripeApiError:
    """Stripe's 400 for a parameter it cannot accept."""
    return StripeApiError(400, message, code="parameter_invalid", param=param)


def parse_query(query: str) -> Params:
    """``a=1&b[0]=x&c[gte]=2`` → ``{"a": "1", "b": ["x"], "c": {"gte": "2"}}``."""
    params: Params = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        match = _KEY.match(key)
        if match is None:
            raise bad_param(key, f"Invalid parameter name: {key}")
        base, sub = match["base"], match["sub"]
        if sub is None and base not in _LIST_PARAMS:
            _put(params, base, str, value)
        elif sub is None or sub == "" or sub.isdigit():
            _put(params, base, list, value)
        else:
            _put(params, base, dict, value, sub)
    return params


def _put(params: Params, base: str, kind: type, value: str, sub: str | None = None) -> None:
    if base in params and not isinstance(params[base], kind):
        raise bad_param(base, f"Invalid {base}: mixes a value, a list and a hash")
    if kind is str:
        params[base] = value
    elif kind is list:
        params.setdefault(base, []).append(value)
    else:
        params.setdefault(base, {})[sub] = value


def reject_unknown(params: Params, allowed: frozenset[str]) -> None:
    """Stripe refuses parameters it does not know; the fake refuses the ones it does not do."""
    for name in params:
        if name not in allowed:
            raise bad_param(
                name,
                f"Received unknown parameter: {name} (the fake Stripe API does not implement it)",
            )


def int_param(params: Params, name: str, default: int | None = None) -> int | None:
    """An integer parameter, or Stripe's 400 ``Invalid integer``."""
    raw = params.get(name)
    if raw is None:
        return default
    return to_int(name, raw)


def to_int(name: str, raw: Any) -> int:
    if not isinstance(raw, str) or not re.fullmatch(r"-?\d+", raw):
        raise bad_param(name, f"Invalid integer: {raw}")
    return int(raw)


def str_param(params: Params, name: str) -> str | None:
    raw = params.get(name)
    if raw is not None and not isinstance(raw, str):
        raise bad_param(name, f"Invalid string: {name} must be a single value")
    return raw

"""What the ingress serves and what its OpenAPI document says it serves, as comparable sets."""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from ingress.app import routes

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def served_operations() -> set[tuple[str, str]]:
    """(path, method) of every Starlette route; HEAD is Starlette's automatic twin of GET."""
    return {
        (route.path, method.lower())
        for route in routes()
        if isinstance(route, Route)
        for method in route.methods or ()
        if method != "HEAD"
    }


def documented_operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (path, method)
        for path, item in document["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }

"""Options several commands share, each with its one-sentence help."""

from __future__ import annotations

from typing import Annotated

import typer

AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
Project = Annotated[str, typer.Option("--project", help="The project's id, e.g. acme.")]
Product = Annotated[str, typer.Option("--product", help="The Stripe product's id, prod_….")]
Limit = Annotated[int, typer.Option("--limit", min=1, help="Show at most N rows.")]


def sub_app(name: str, help_text: str) -> typer.Typer:
    """A command group: `billing NAME …`, listing its commands when called alone."""
    return typer.Typer(name=name, help=help_text, no_args_is_help=True, add_completion=False)

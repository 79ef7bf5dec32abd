"""`billing`: the one entry point for operators. Each subcommand has its own --help."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import psycopg
import redis.exceptions
import sqlalchemy.exc
import stripe

from cli import (
    adoption_cmd,
    endpoints_cmd,
    events_cmd,
    metrics_cmd,
    processes_cmd,
    products_cmd,
    reconcile_cmd,
    tenants_cmd,
)
from shared.refusals import Refused
from shared.settings import SettingsError
from shared.tenants import TenantError
from workers.adoption.importer import ImportRefused


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="billing",
        description="Stripe billing service: webhook ingress, workers, scheduler and operator "
        "tools. "
        "Configuration comes from the environment (DATABASE_URL, REDIS_URL, "
        "STRIPE_WEBHOOK_SECRET, ...; see README).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    processes_cmd.register(commands)
    tenants_cmd.register(commands)
    products_cmd.register(commands)
    events_cmd.register(commands)
    reconcile_cmd.register(commands)
    adoption_cmd.register(commands)
    endpoints_cmd.register(commands)
    metrics_cmd.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except SettingsError as exc:
        print(f"billing: configuration error: {exc}", file=sys.stderr)
        return 2
    except (TenantError, Refused, ImportRefused) as exc:
        print(f"billing: {exc}", file=sys.stderr)
        return 1
    except stripe.StripeError as exc:
        print(f"billing: Stripe API: {exc.user_message or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except (
        OSError,
        sqlalchemy.exc.OperationalError,
        psycopg.OperationalError,
        redis.exceptions.ConnectionError,
    ) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(
            f"billing: cannot reach a store (check DATABASE_URL / REDIS_URL): {first_line}",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())

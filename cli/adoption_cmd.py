"""`billing import`, `billing customers resync|show`, `billing users show`: taking over a live
Stripe account and answering the support desk (CONTRACT section 8)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from cli.context import parts
from shared.db.imports import SUMMARY_COUNTERS, create_import, import_json
from shared.log_setup import configure_logging
from shared.operations import lookups
from shared.operations.customer_links import validate_customer_id
from shared.stripe_api import NO_STRIPE_KEY
from shared.tenants import validate_project_id
from workers.adoption.importer import Importer, Progress
from workers.adoption.resync import resync_customer
from workers.reconciliation.runner import Reconciler


def register(commands: Any) -> None:
    p = commands.add_parser(
        "import",
        help="import the whole Stripe account: customers, Checkout Sessions, subscriptions, "
        "payments (needs STRIPE_SECRET_KEY)",
        description="Lists every customer, completed Checkout Session, subscription (any status) "
        "and PaymentIntent of the account, page by page, and applies them through the "
        "reconciliation rules: a newer webhook state is never overwritten, and importing again "
        "changes nothing. The place after each finished page is saved: an import stopped by a "
        "kill or a Stripe failure continues with --resume. Requests stay under STRIPE_API_RATE "
        "per second. Exit status 0 when the import finished, 1 when it stopped (resumable).",
    )
    p.add_argument("--resume", metavar="IMPORT_ID", help="continue a stopped import, imp_…")
    p.set_defaults(run=import_account)

    customers = commands.add_parser("customers", help="one Stripe customer: look up, resync")
    sub = customers.add_subparsers(dest="action", required=True)
    p = sub.add_parser(
        "resync",
        help="fetch the customer's subscriptions and payments from Stripe and correct them now",
        description="Fetch the customer, its subscriptions and its payments from Stripe and "
        "correct them now (the support desk's 'I paid but I have no access').",
    )
    p.add_argument("customer_id", help="Stripe customer id, cus_…")
    p.set_defaults(run=customers_resync)
    p = sub.add_parser(
        "show",
        help="the customer's owner, how it was linked, and its objects",
        description="the customer's owner, how it was linked, and its objects",
    )
    p.add_argument("customer_id", help="Stripe customer id, cus_…")
    p.set_defaults(run=customers_show)

    users = commands.add_parser("users", help="one end user of a project")
    sub = users.add_subparsers(dest="action", required=True)
    p = sub.add_parser(
        "show",
        help="the user's entitlements, customers, subscriptions, purchases",
        description="the user's entitlements, customers, subscriptions, purchases",
    )
    p.add_argument("--project", required=True, help="project id")
    p.add_argument("user_id", help="the app's own id of the user")
    p.set_defaults(run=users_show)


class ImportProgress:
    """Pages and objects per second on one line of a terminal, plain lines otherwise."""

    def __init__(self, out: TextIO) -> None:
        self.out, self.tty = out, out.isatty()

    def __call__(self, progress: Progress) -> None:
        line = (
            f"{progress.stage:<18} page {progress.pages:>5}  {progress.objects:>8} objects  "
            f"{progress.objects_per_s:>7.1f}/s"
        )
        self.out.write(f"\r{line}" if self.tty else f"{line}\n")
        self.out.flush()

    def done(self) -> None:
        if self.tty:
            self.out.write("\n")


def import_account(args: argparse.Namespace) -> int:
    settings = parts().settings
    # log lines to stderr: stdout is progress and summary
    configure_logging(settings.log_format, settings.log_level)
    client = parts().stripe_client
    if client is None:
        print(f"billing import: refused: {NO_STRIPE_KEY}", file=sys.stderr)
        return 2
    import_id = args.resume or create_import(parts().engine, "cli")
    print(f"import {import_id}" + (" (resumed)" if args.resume else ""))
    progress = ImportProgress(sys.stdout)
    importer = Importer.from_parts(parts(), client)
    importer.on_page = progress
    row = importer.run(import_id)
    progress.done()
    summary = import_json(row)
    for name in ("import_id", "status", *SUMMARY_COUNTERS, "started_at", "finished_at"):
        print(f"{name:<22} {summary[name]}")
    if row["status"] != "finished":
        print(f"{'error':<22} {row['error_message']}")
        print(f"resume with: billing import --resume {import_id}")
        return 1
    return 0


def customers_resync(args: argparse.Namespace) -> int:
    validate_customer_id(args.customer_id)
    client = parts().stripe_client
    if client is None:
        print(f"billing customers resync: refused: {NO_STRIPE_KEY}", file=sys.stderr)
        return 2
    result = resync_customer(Reconciler.from_parts(parts(), client), args.customer_id)
    for name, value in result.items():
        print(f"{name:<22} {value}")
    return 0


def customers_show(args: argparse.Namespace) -> int:
    validate_customer_id(args.customer_id)
    view = lookups.customer_view(parts().engine, args.customer_id)
    if view is None:
        print(f"billing: no customer {args.customer_id} has been seen", file=sys.stderr)
        return 1
    print(json.dumps(view, indent=2))
    return 0


def users_show(args: argparse.Namespace) -> int:
    validate_project_id(args.project)
    print(json.dumps(lookups.user_view(parts().engine, args.project, args.user_id), indent=2))
    return 0

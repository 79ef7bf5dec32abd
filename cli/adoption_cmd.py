"""`billing import`, `billing customers resync|show`, `billing users show`: taking over a live
Stripe account and answering the support desk (CONTRACT section 8)."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.context import parts
from cli.options import AsJson, Project, sub_app
from cli.output import print_json
from cli.progress import ProgressView
from shared.db.imports import SUMMARY_COUNTERS, create_import, import_json
from shared.operations import lookups
from shared.operations.customer_links import validate_customer_id
from shared.settings import SettingsError
from shared.stripe_api import NO_STRIPE_KEY
from shared.tenants import TenantError, validate_project_id
from workers.adoption.importer import Importer, Progress
from workers.adoption.resync import resync_customer
from workers.reconciliation.runner import Reconciler

CustomerId = Annotated[
    str, typer.Argument(help="The Stripe customer's id, cus_….", show_default=False)
]


def register(app: typer.Typer) -> None:
    app.command(
        "import",
        help="Import the whole Stripe account: customers, Checkout Sessions, subscriptions, "
        "payments (needs STRIPE_SECRET_KEY). Lists every customer, completed Checkout Session, "
        "subscription (any status) and PaymentIntent of the account, page by page, and applies "
        "them through the reconciliation rules: a newer webhook state is never overwritten, and "
        "importing again changes nothing. The place after each finished page is saved: an import "
        "stopped by a kill or a Stripe failure continues with --resume. Requests stay under "
        "STRIPE_API_RATE per second. Exit status 0 when the import finished, 1 when it stopped "
        "(resumable).",
    )(import_account)
    customers = sub_app("customers", "Look up or resync one Stripe customer.")
    customers.command(
        "resync",
        help="Fetch the customer, its subscriptions and its payments from Stripe and correct "
        "them now (the support desk's 'I paid but I have no access').",
    )(customers_resync)
    customers.command(
        "show", help="Show the customer's owner, how it was linked, and its objects."
    )(customers_show)
    app.add_typer(customers)
    users = sub_app("users", "Look up one end user of a project.")
    users.command(
        "show", help="Show the user's entitlements, customers, subscriptions and purchases."
    )(users_show)
    app.add_typer(users)


def _progress_line(progress: Progress) -> str:
    return (
        f"{progress.stage:<18} page {progress.pages:>5}  {progress.objects:>8} objects  "
        f"{progress.objects_per_s:>7.1f}/s"
    )


def import_account(
    resume: Annotated[
        str | None,
        typer.Option(
            metavar="IMPORT_ID", help="Continue a stopped import, imp_….", show_default=False
        ),
    ] = None,
    as_json: AsJson = False,
) -> int:
    settings = parts().settings
    client = parts().stripe_client
    if client is None:
        raise SettingsError(NO_STRIPE_KEY)
    view = ProgressView(as_json)
    view.configure_logging(settings)  # log lines to stderr: stdout is progress and summary
    import_id = resume or create_import(parts().engine, "cli")
    if not as_json:
        print(f"import {import_id}" + (" (resumed)" if resume else ""), flush=True)
    importer = Importer.from_parts(parts(), client)
    importer.on_page = lambda progress: view.show(_progress_line(progress), redraw_now=True)
    with view:
        row = importer.run(import_id)
    summary = import_json(row)
    finished = row["status"] == "finished"
    if as_json:
        print_json({**summary, "error_message": None if finished else row["error_message"]})
        return 0 if finished else 1
    for name in ("import_id", "status", *SUMMARY_COUNTERS, "started_at", "finished_at"):
        print(f"{name:<22} {summary[name]}")
    if not finished:
        print(f"{'error':<22} {row['error_message']}")
        print(f"resume with: billing import --resume {import_id}")
        return 1
    return 0


def customers_resync(customer_id: CustomerId, as_json: AsJson = False) -> int:
    validate_customer_id(customer_id)
    client = parts().stripe_client
    if client is None:
        raise SettingsError(NO_STRIPE_KEY)
    result = resync_customer(Reconciler.from_parts(parts(), client), customer_id)
    if as_json:
        print_json(result)
        return 0
    for name, value in result.items():
        print(f"{name:<22} {value}")
    return 0


def customers_show(customer_id: CustomerId, as_json: AsJson = False) -> int:
    """Always JSON: `--json` is accepted so that every view takes it."""
    validate_customer_id(customer_id)
    view = lookups.customer_view(parts().engine, customer_id)
    if view is None:
        raise TenantError(f"no customer {customer_id} has been seen")
    print_json(view)
    return 0


def users_show(
    project: Project,
    user_id: Annotated[
        str, typer.Argument(help="The app's own id of the user.", show_default=False)
    ],
    as_json: AsJson = False,
) -> int:
    """Always JSON: `--json` is accepted so that every view takes it."""
    validate_project_id(project)
    print_json(lookups.user_view(parts().engine, project, user_id))
    return 0

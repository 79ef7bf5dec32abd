"""`billing`: the one entry point for operators. Each command has its own --help."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from functools import cache
from typing import Any

import stripe
import typer
from rich.console import Console
from typer import _click as click  # typer ships its own click
from typer._click import exceptions as click_errors
from typer.core import TyperGroup

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
from cli.context import close_parts
from cli.failures import STORE_ERRORS, describe_store_error, redact
from shared.log_setup import configure_logging
from shared.refusals import Refused
from shared.settings import SettingsError, load_settings
from shared.tenants import TenantError
from workers.adoption.importer import ImportRefused

OK, REFUSED, USAGE, INTERRUPTED, STDOUT_CLOSED = 0, 1, 2, 130, 141
EXIT_CODES = (
    "Exit status: 0 done; 1 refused (bad input, unknown id) or a store error (database or Redis "
    "unreachable, wrong role, schema behind); 2 usage or configuration error; 130 interrupted "
    "(Ctrl-C); 141 stdout closed early (e.g. | head)."
)


class StdoutClosed(Exception):
    """The reader of stdout went away (`billing events list | head -1`)."""


class BillingGroup(TyperGroup):
    """Lets a broken pipe reach main() as itself: click would turn it into exit 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError as exc:
            raise StdoutClosed from exc


app = typer.Typer(
    name="billing",
    cls=BillingGroup,
    help="Stripe billing service: webhook ingress, workers, scheduler and operator tools. "
    "Configuration comes from the environment (DATABASE_URL, REDIS_URL, STRIPE_WEBHOOK_SECRET, "
    "STRIPE_SECRET_KEY, …; see README).",
    epilog=EXIT_CODES,
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
for command_group in (
    processes_cmd,
    tenants_cmd,
    products_cmd,
    events_cmd,
    reconcile_cmd,
    adoption_cmd,
    endpoints_cmd,
    metrics_cmd,
):
    command_group.register(app)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; every failure a user can cause ends here as one line and an exit code."""
    if argv is None:  # the `billing` process itself: a caller passing argv keeps its logging
        _configure_process_logging()
    try:
        code = _run(argv)
        sys.stdout.flush()
        return code
    except (StdoutClosed, BrokenPipeError):
        _silence_stdout()
        return STDOUT_CLOSED
    except SystemExit as exc:
        if not isinstance(exc.__context__, BrokenPipeError):
            raise
        _silence_stdout()  # click met it first (a --help into a closed pipe) and exited 1
        return STDOUT_CLOSED
    finally:
        close_parts()


@cache
def _command() -> click.Command:
    return typer.main.get_command(app)


def _run(argv: Sequence[str] | None) -> int:
    command = _command()
    try:
        result = command.main(
            args=list(sys.argv[1:] if argv is None else argv),
            prog_name="billing",
            standalone_mode=False,
        )
        return int(result or 0)
    except click_errors.NoArgsIsHelpError:  # typer has shown the group's help
        return USAGE
    except click_errors.ClickException as exc:
        return _fail(_usage_line(exc), exc.exit_code)
    except typer.Abort:
        return INTERRUPTED
    except KeyboardInterrupt:
        return INTERRUPTED
    except SettingsError as exc:
        return _fail(f"configuration error: {exc}", USAGE)
    except (TenantError, Refused, ImportRefused) as exc:
        return _fail(str(exc), REFUSED)
    except stripe.StripeError as exc:
        return _fail(f"Stripe API: {exc.user_message or exc}", REFUSED)
    except STORE_ERRORS as exc:
        if isinstance(exc, BrokenPipeError):
            raise
        return _fail(describe_store_error(exc), REFUSED)


def _configure_process_logging() -> None:
    """Log lines go to stderr (rich on a terminal), never into what a command prints on stdout;
    libraries only warn. import and reconcile log at LOG_LEVEL, and serve, worker and the
    scheduler set up their own once they run."""
    try:
        settings = load_settings()
    except SettingsError:
        return  # the command reports it, in one line
    if sys.stderr.isatty():
        configure_logging(settings.log_format, settings.log_level, console=Console(stderr=True))
    else:
        configure_logging(settings.log_format, settings.log_level)
    root = logging.getLogger()  # the libraries' (alembic's, stripe's) chatter is not the command's
    root.setLevel(max(root.level, logging.WARNING))
    logging.getLogger("alembic").setLevel(logging.WARNING)  # also once import/reconcile log more


def _usage_line(exc: click_errors.ClickException) -> str:
    context = getattr(exc, "ctx", None)
    where = context.command_path if context is not None else "billing"
    hint = f" (see {where} --help)" if isinstance(exc, click_errors.UsageError) else ""
    message = " ".join(exc.format_message().split())
    return f"{where.removeprefix('billing').strip() or 'usage'}: {message}{hint}"


def _fail(line: str, code: int) -> int:
    first = line.strip().splitlines()[0] if line.strip() else "failed"
    print(f"billing: {redact(first)}", file=sys.stderr)
    return code


def _silence_stdout() -> None:
    """Python flushes stdout once more at exit: point it at /dev/null so that stays silent."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is no file descriptor (a test's capture)
        pass
    finally:
        os.close(devnull)


if __name__ == "__main__":
    sys.exit(main())

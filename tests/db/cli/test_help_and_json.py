"""Every `billing` command explains itself (a sentence for the command and for each option and
argument, all shown by its --help) and every listing or summary prints one JSON document with
--json. The command tree is read from the app, so a command added later is checked too."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import typer
import typer.rich_utils
from sqlalchemy import Engine
from typer import _click as click
from typer.core import TyperGroup, TyperOption

from cli.main import app
from shared.db.reconciliation_runs import create_run
from tests.db.cli.conftest import InProcess
from tests.fakes.stripe_api import FakeStripe
from tests.stripe_events import customer, owner_metadata
from tests.support.cli import billing, flatten_help
from tests.support.state import create_project
from tests.support.stores import insert_event
from tests.support.stripe_account import add_subscription, fake_stripe_env


def _commands(
    command: click.Command, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    if path:
        yield path, command
    if isinstance(command, TyperGroup):
        for name, sub in command.commands.items():
            yield from _commands(sub, (*path, name))


TREE = dict(_commands(typer.main.get_command(app)))
COMMANDS = sorted(TREE)
JSON_COMMANDS = sorted(
    path for path, command in TREE.items() if any(p.name == "as_json" for p in command.params)
)


def _own_params(command: click.Command) -> list[click.Parameter]:
    return [p for p in command.params if p.name != "help"]


def test_every_contract_command_exists() -> None:
    expected = {
        ("migrate",), ("serve",), ("worker",), ("scheduler",),
        ("projects", "create"), ("projects", "list"),
        ("apps", "create"), ("apps", "list"), ("apps", "revoke"),
        ("products", "map"), ("products", "list"), ("products", "unmap"),
        ("events", "list"), ("events", "show"), ("events", "retry"), ("events", "prune"),
        ("reconcile",), ("reconcile", "runs"),
    }  # fmt: skip
    assert expected <= set(COMMANDS)


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_every_command_and_parameter_has_a_sentence_of_help(path: tuple[str, ...]) -> None:
    command = TREE[path]
    assert (command.help or "").strip().endswith("."), path
    for param in _own_params(command):
        sentence = (getattr(param, "help", None) or "").strip()
        assert sentence[:1].isupper() and sentence.endswith("."), (path, param.name, sentence)


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_every_help_exits_0_and_shows_each_option_with_its_help(
    path: tuple[str, ...], billing_in_process: InProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(typer.rich_utils, "MAX_WIDTH", 1000)  # no column wrapped into another
    shown = billing_in_process(*path, "--help")

    assert shown.code == 0 and shown.err == ""
    text = flatten_help(shown.out)
    assert text.startswith(f"Usage: billing {' '.join(path)}")
    for param in _own_params(TREE[path]):
        if isinstance(param, TyperOption):
            assert all(opt in text for opt in param.opts), (path, param.opts)
        assert " ".join((getattr(param, "help", "") or "").split()) in text, (path, param.name)


def test_the_top_level_help_lists_the_exit_codes(billing_in_process: InProcess) -> None:
    text = flatten_help(billing_in_process("--help").out)

    for code, meaning in (("0", "done"), ("1", "store error"), ("2", "usage"), ("130", "Ctrl-C")):
        assert f"{code} " in text and meaning in text


def test_every_listing_and_summary_takes_json() -> None:
    listings = {("projects", "list"), ("apps", "list"), ("products", "list"), ("events", "list"),
                ("events", "show"), ("events", "stats"), ("reconcile",), ("reconcile", "runs"),
                ("metrics",), ("import",), ("customers", "resync"), ("customers", "show"),
                ("users", "show"), ("endpoints", "list"), ("endpoints", "deliveries")}  # fmt: skip
    assert listings <= set(JSON_COMMANDS)


@pytest.fixture
def some_of_everything(clean_db: Engine, billing_in_process: InProcess) -> dict[str, str]:
    """A project with an app, a mapping and an endpoint; an event; a reconciliation run."""
    create_project(clean_db)
    billing_in_process("apps", "create", "--project", "acme")
    billing_in_process("products", "map", "--project", "acme", "--product", "prod_A",
                       "--entitlement", "pro")  # fmt: skip
    added = billing_in_process("endpoints", "add", "--project", "acme",
                               "--url", "https://example.com/hook")  # fmt: skip
    insert_event(clean_db, "evt_json_1", status="failed")
    create_run(clean_db, "cli", 3)
    return {"endpoint": added.out.split()[2]}


IN_PROCESS_JSON = {
    ("projects", "list"): [],
    ("apps", "list"): ["--project", "acme"],
    ("products", "list"): ["--project", "acme"],
    ("events", "list"): [],
    ("events", "show"): ["evt_json_1"],
    ("events", "stats"): ["--hours", "2"],
    ("reconcile", "runs"): [],
    ("metrics",): ["--project", "acme"],
    ("customers", "show"): ["cus_nobody"],
    ("users", "show"): ["--project", "acme", "user-1"],
    ("endpoints", "list"): ["--project", "acme"],
    ("endpoints", "deliveries"): ["{endpoint}"],
}
# Commands that talk to Stripe and draw progress (their logging set-up is process-wide).
STRIPE_JSON = {("reconcile",): ["--days-back", "3"], ("import",): [], ("customers", "resync"): []}


def test_each_json_command_is_exercised_below() -> None:
    assert set(JSON_COMMANDS) == set(IN_PROCESS_JSON) | set(STRIPE_JSON)


@pytest.mark.parametrize("path", sorted(IN_PROCESS_JSON), ids=" ".join)
def test_json_output_is_one_document(
    path: tuple[str, ...], some_of_everything: dict[str, str], billing_in_process: InProcess
) -> None:
    args = [arg.format(**some_of_everything) for arg in IN_PROCESS_JSON[path]]
    if path == ("customers", "show"):
        return _customer_not_seen(billing_in_process, args)

    shown = billing_in_process(*path, *args, "--json")

    assert shown.code == 0, shown.err
    assert isinstance(json.loads(shown.out), dict)


def _customer_not_seen(billing_in_process: InProcess, args: list[str]) -> None:
    shown = billing_in_process("customers", "show", *args, "--json")
    assert shown.code == 1 and shown.out == ""
    assert shown.err.strip() == "billing: no customer cus_nobody has been seen"


def test_customers_resync_json(
    fake_stripe: FakeStripe, project: str, billing_in_process: InProcess
) -> None:
    fake_stripe.add_customer(customer("cus_alice", metadata=owner_metadata("alice")))
    add_subscription(fake_stripe, "sub_json", "alice")

    shown = billing_in_process(
        "customers", "resync", "cus_alice", "--json", **fake_stripe_env(fake_stripe)
    )

    assert shown.code == 0, shown.err
    assert json.loads(shown.out)["customer_id"] == "cus_alice"


@pytest.mark.parametrize("path", [("reconcile",), ("import",)], ids=" ".join)
def test_long_work_with_json_prints_only_the_summary_document(
    path: tuple[str, ...], fake_stripe: FakeStripe, project: str
) -> None:
    add_subscription(fake_stripe, "sub_json", "alice")

    done = billing(*path, *STRIPE_JSON[path], "--json", **fake_stripe_env(fake_stripe))

    assert done.code == 0, done.err
    summary = json.loads(done.out)  # no progress lines, no log lines: those are on stderr
    assert summary["status"] == "finished" and summary["started_at"]

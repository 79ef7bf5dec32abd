"""What a scenario checks at its end: every event terminal, nothing lost, nothing applied
twice, every user's entitlements, the subscription metrics and revenue equal to the oracle."""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg

from tests.faults.sender import DeliveryLog
from tests.faults.services import Proc
from tests.faults.world import PROJECT, World

HANDLED_TYPES = {
    "checkout.session.completed",
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "invoice.payment_succeeded",
    "invoice.payment_failed",
    "charge.refunded",
}
Json = dict[str, Any]
DRAMATIQ_FAILED = re.compile(r"Failed to process message (\w+)\('(evt_\w+)'")


@dataclass
class Outcome:
    """The measured numbers of one scenario and every failing condition, in words."""

    events: int = 0
    posts: int = 0
    lost: int = 0
    applied_twice: int = 0
    users_wrong: int = 0
    five_xx: int = 0
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def fail(self, message: str) -> None:
        self.failures.append(message)


def db_rows(url: str, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    with psycopg.connect(url, connect_timeout=3, row_factory=psycopg.rows.dict_row) as conn:
        return list(conn.execute(sql, params).fetchall())


def wait_until_terminal(
    db_url: str, expected_ids: set[str], log: DeliveryLog, timeout_s: float
) -> float | None:
    """Poll the private database until every event that reached the ingress is stored and none
    is `received`; the monotonic time at which it first held, or None at the deadline."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            rows = db_rows(
                db_url,
                "SELECT count(*) AS n, count(*) FILTER (WHERE status = 'received') AS waiting "
                "FROM webhook_events",
            )
        except psycopg.Error:
            time.sleep(0.5)
            continue
        now = time.monotonic()
        stored, waiting = rows[0]["n"], rows[0]["waiting"]
        if waiting == 0 and stored >= len(expected_ids - log.lost):
            return now
        time.sleep(0.2)
    return None


@dataclass
class LogCounts:
    handled: Counter[str] = field(default_factory=Counter)  # event.processed / event.skipped
    tries_failed: Counter[str] = field(default_factory=Counter)
    handled_lines: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # id → (file, ts)
    errors: Counter[str] = field(default_factory=Counter)  # event name of error-level lines
    # tries that ended in an exception: the inbox's own lines and Dramatiq's
    tries_crashed: Counter[str] = field(default_factory=Counter)
    lines: int = 0
    glued_lines: int = 0  # lines holding two JSON entries


def json_entries(path: Path) -> tuple[list[dict[str, Any]], int]:
    """The JSON objects of a log file, and how many lines held more than one (each entry is one
    write since structlog's WriteLogger replaced its PrintLogger, which wrote the newline
    apart, so that threads and processes interleaved two entries on one line)."""
    decoder = json.JSONDecoder()
    entries: list[dict[str, Any]] = []
    glued = 0
    for line in path.read_text(errors="replace").splitlines():
        position, found = 0, 0
        while position < len(line):
            if line[position] != "{":
                next_object = line.find("{", position)
                if next_object < 0:
                    break
                position = next_object
            try:
                entry, position = decoder.raw_decode(line, position)
            except ValueError:
                break
            if isinstance(entry, dict):
                entries.append(entry)
                found += 1
        glued += found > 1
    return entries, glued


def read_worker_logs(procs: list[Proc]) -> LogCounts:
    counts = LogCounts()
    for proc in procs:
        if not proc.name.startswith("worker-"):
            continue
        entries, glued = json_entries(proc.log_path)
        counts.glued_lines += glued
        counts.lines += len(entries)
        for entry in entries:
            name, event_id = entry.get("event"), entry.get("event_id")
            if entry.get("level") in ("error", "critical"):
                found = DRAMATIQ_FAILED.search(str(name))
                if found:
                    counts.tries_crashed[found.group(2)] += 1
                    name = f"Failed to process message {found.group(1)}(…)"
                counts.errors[str(name)] += 1
            if not isinstance(event_id, str):
                continue
            if name in ("event.processed", "event.skipped"):
                counts.handled[event_id] += 1
                counts.handled_lines.setdefault(event_id, []).append(
                    (proc.name, str(entry.get("timestamp")))
                )
            elif name == "event.try_failed":
                counts.tries_failed[event_id] += 1
            elif name == "event.failure_not_recorded":
                counts.tries_crashed[event_id] += 1
    return counts


def check_end_state(
    world: World,
    log: DeliveryLog,
    db_url: str,
    web_url: str,
    admin_key: str,
    app_key: str,
    procs: list[Proc],
    outcome: Outcome,
) -> None:
    ids = world.event_ids()
    outcome.events = len(ids)
    outcome.posts = len(log.answers)
    events = {
        r["id"]: r
        for r in db_rows(
            db_url, "SELECT id, type, status, attempts, error_message FROM webhook_events"
        )
    }

    # --- lost: never stored, still waiting, or failed -----------------------------------------
    never_stored = ids - events.keys()
    waiting = {i for i, r in events.items() if r["status"] == "received"}
    failed = {i for i, r in events.items() if r["status"] == "failed"}
    outcome.lost = len(never_stored | waiting | failed)
    if log.lost:
        outcome.fail(
            f"{len(log.lost)} event(s) given up by the sender after retrying 60 s: "
            f"{sorted(log.lost)[:5]}"
        )
    acked_missing = never_stored - log.lost
    if acked_missing:
        outcome.fail(
            f"{len(acked_missing)} event(s) answered 2xx but not stored: "
            f"{sorted(acked_missing)[:5]}"
        )
    if waiting:
        outcome.fail(
            f"{len(waiting)} event(s) still `received` at the deadline: {sorted(waiting)[:5]}"
        )
    if failed:
        sample = [(i, events[i]["error_message"]) for i in sorted(failed)[:3]]
        outcome.fail(f"{len(failed)} event(s) `failed`: {sample}")
    strangers = events.keys() - ids
    if strangers:
        outcome.fail(
            f"{len(strangers)} stored event(s) that were never sent: {sorted(strangers)[:5]}"
        )

    # --- statuses: handled types processed, the rest skipped --------------------------------
    wrong_status = [
        (i, r["type"], r["status"])
        for i, r in events.items()
        if i in ids
        and r["status"] in ("processed", "skipped")
        and r["status"] != ("processed" if r["type"] in HANDLED_TYPES else "skipped")
    ]
    if wrong_status:
        outcome.fail(f"{len(wrong_status)} event(s) with an unexpected status: {wrong_status[:5]}")

    # --- applied twice ------------------------------------------------------------------------
    counts = read_worker_logs(procs)
    twice: set[str] = set()
    for i, r in events.items():
        # Every try that failed is counted (event.try_failed); the one that applied it, once.
        if r["status"] in ("processed", "skipped") and r["attempts"] > 1 + counts.tries_failed[i]:
            twice.add(i)
        if r["status"] in ("processed", "skipped") and r["attempts"] < 1:
            outcome.fail(f"event {i} is {r['status']} with attempts {r['attempts']}")
    killed = {p.name for p in procs if p.killed_at is not None}
    log_twice = {i for i, n in counts.handled.items() if n > 1}
    by_kill = {
        i for i in log_twice if any(name in killed for name, _ in counts.handled_lines[i][:-1])
    }  # logged just before a SIGKILL whose commit never happened
    by_failed_commit = {i for i in log_twice - by_kill if counts.tries_crashed[i] > 0}
    for explained, why in (
        (by_kill, "by a worker that was then SIGKILLed"),
        (by_failed_commit, "by a try whose transaction then failed"),
    ):
        consistent = [i for i in explained if i not in twice]
        if consistent:
            outcome.notes.append(
                f"{len(consistent)} event(s) logged `event.processed` {why}, and again by the "
                f"try that committed (attempts consistent: applied once): {sorted(consistent)[:3]}"
            )
    twice |= log_twice - by_kill - by_failed_commit
    refunds = {
        r["payment_intent_id"]: r
        for r in db_rows(
            db_url,
            "SELECT payment_intent_id, amount_minor, amount_refunded_minor, status FROM purchases",
        )
    }
    for pi, truth in world.purchases.items():
        row = refunds.get(pi)
        if row and row["amount_refunded_minor"] > truth.refunded:
            twice.add(f"refund of {pi}: {row['amount_refunded_minor']} > {truth.refunded}")
    outcome.applied_twice = len(twice)
    if twice:
        detail = [
            (i, events[i]["attempts"], counts.tries_failed[i], counts.handled[i])
            if i in events
            else i
            for i in sorted(twice)[:5]
        ]
        outcome.fail(
            f"{len(twice)} event(s) applied twice (id, attempts, failed tries logged, "
            f"handled lines logged): {detail}"
        )
    new_twice = {i: n for i, n in log.new_acks.items() if n > 1}
    if new_twice:
        outcome.fail(
            f"{len(new_twice)} event(s) answered `duplicate: false` more than once "
            f"(stored or queued twice): {sorted(new_twice.items())[:5]}"
        )

    # --- every user's entitlements: read API and database -----------------------------------
    db_grants: dict[str, dict[str, Json]] = {}
    for r in db_rows(
        db_url,
        "SELECT user_id, entitlement_key, source, source_id, product_id, "
        "expires_at FROM entitlements WHERE project_id = %s",
        (PROJECT,),
    ):
        expires = r["expires_at"]
        db_grants.setdefault(r["user_id"], {})[r["entitlement_key"]] = {
            "source": r["source"],
            "source_id": r["source_id"],
            "product_id": r["product_id"],
            "expires_at": expires.isoformat().replace("+00:00", "Z") if expires else None,
        }
    wrong: dict[str, str] = {}
    headers = {"Authorization": f"Bearer {app_key}"}
    with httpx.Client(base_url=web_url, headers=headers, timeout=10) as client:
        for user in world.users:
            expected = world.entitlements(user)
            response = client.get(f"/api/v1/entitlements/project/{PROJECT}/user/{user}")
            answer = response.json().get("entitlements") if response.status_code == 200 else None
            if response.status_code != 200:
                wrong[user] = f"read API answered {response.status_code}"
            elif answer != expected:
                wrong[user] = f"read API {answer} != oracle {expected}"
            elif db_grants.get(user, {}) != expected:
                wrong[user] = f"database {db_grants.get(user, {})} != oracle {expected}"
        for user in db_grants.keys() - set(world.users):
            wrong[user] = f"entitlements of a user not in the world: {db_grants[user]}"
        outcome.users_wrong = len(wrong)
        for user, why in sorted(wrong.items())[:3]:
            outcome.fail(f"user {user}: {why}")
        if len(wrong) > 3:
            outcome.fail(f"... {len(wrong)} users wrong in all")

        # --- subscription metrics and revenue ------------------------------------------------
        for path, expected in (
            ("subscriptions", world.subscription_metrics()),
            ("revenue", world.revenue()),
        ):
            response = client.get(f"/api/v1/metrics/project/{PROJECT}/{path}")
            got = response.json() if response.status_code == 200 else response.status_code
            if isinstance(got, dict) and path == "subscriptions":
                got["by_status"] = dict(sorted(got.get("by_status", {}).items()))
            if isinstance(got, dict) and path == "revenue":
                # The world's oracle models one-time purchases only; subscription invoice
                # revenue (CONTRACT section 10) is checked by tests/db/billing.
                got.pop("subscriptions", None)
            if got != expected:
                outcome.fail(f"{path} metrics: service {got} != oracle {expected}")

        # --- what the admin API says: nothing waiting, nothing failed ----------------------------
        admin = {"Authorization": f"Bearer {admin_key}"}
        for status in ("received", "failed"):
            response = client.get(
                "/api/v1/admin/webhook-events",
                params={"status": status, "limit": 1000},
                headers=admin,
            )
            if response.status_code != 200:
                outcome.fail(f"admin API webhook-events?status={status}: {response.status_code}")
            elif response.json().get("count"):
                outcome.fail(f"admin API lists {response.json()['count']} `{status}` event(s)")

    crashed = [p for p in procs if not p.alive() and p.killed_at is None]
    for proc in crashed:
        outcome.fail(
            f"{proc.name} exited on its own (code {proc.popen.returncode}): {proc.log_tail(600)!r}"
        )
    if counts.errors:
        top = sorted(counts.errors.items(), key=lambda kv: -kv[1])[:6]
        outcome.notes.append(f"error-level worker log lines (most frequent): {dict(top)}")
    if counts.glued_lines:
        outcome.notes.append(
            f"{counts.glued_lines} worker log lines held two JSON entries "
            f"(of {counts.lines} entries)"
        )


def scan_for_secrets(log_root: Path, secrets: dict[str, str]) -> list[str]:
    """Every (file, secret name) where a secret's value appears in a log file."""
    found = []
    for path in sorted(log_root.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        for name, value in secrets.items():
            if value and value.encode() in data:
                found.append(f"{path.relative_to(log_root)}: {name}")
    return found

"""The scenarios: each on a fresh database and a fresh Redis, over the same kind of world."""

from __future__ import annotations

import secrets
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg

from tests.faults.checks import (
    Outcome,
    check_end_state,
    db_rows,
    json_entries,
    scan_for_secrets,
    wait_until_terminal,
)
from tests.faults.sender import Answer, DeliveryLog, Sender
from tests.faults.services import Services, run_cli, service_env
from tests.faults.stores import PrivatePostgres, PrivateRedis
from tests.faults.world import PROJECT, World, build_world, delivery_plan

KILL_RECOVERY_LIMIT_S = 20.0
REDIS_RECOVERY_LIMIT_S = 15.0
DRAIN_TIMEOUT_S = 120.0
WORKER_READY = "Worker process is ready for action."


@dataclass
class Result:
    name: str
    outcome: Outcome
    recovery_s: float | None = None
    recovery_limit_s: float | None = None
    duration_s: float = 0.0
    events_label: str = ""
    recovery_detail: str = ""  # shown beside the recovery seconds

    @property
    def ok(self) -> bool:
        return not self.outcome.failures


@dataclass
class Config:
    users: int = 150
    seed: int = 20_251_124
    spread_s: float = 24.0  # delivery time of the fault scenarios
    hostile_examples: int = 300


@dataclass
class Stage:
    """One scenario's running service."""

    name: str
    env: dict[str, str]
    services: Services
    log_dir: Path
    app_key: str
    db_url: str
    worker_boot_s: float = 0.0  # from `billing worker` started to every process ready


@dataclass
class Harness:
    root: Path
    config: Config
    postgres: PrivatePostgres = field(init=False)
    redis: PrivateRedis = field(init=False)
    webhook_secret: str = field(default_factory=lambda: "whsec_" + secrets.token_hex(24))
    admin_key: str = field(default_factory=lambda: "adm_" + secrets.token_hex(20))
    db_password: str = field(default_factory=lambda: "pw" + secrets.token_hex(16))
    app_keys: list[str] = field(default_factory=list)
    extra_secrets: dict[str, str] = field(default_factory=dict)
    stages: list[Stage] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.log_root = self.root / "logs"
        self.log_root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)
        self.postgres = PrivatePostgres(self.root, self.log_root)
        self.redis = PrivateRedis(self.root, self.log_root)

    def start_stores(self) -> None:
        self.postgres.init(self.db_password)
        self.redis.start()

    def shutdown(self) -> None:
        for stage in self.stages:
            stage.services.stop_all()
        self.redis.shutdown()
        self.postgres.shutdown()

    def secrets(self) -> dict[str, str]:
        values = {
            "STRIPE_WEBHOOK_SECRET": self.webhook_secret,
            "ADMIN_API_KEY": self.admin_key,
            "database password": self.db_password,
        }
        values.update({f"app key #{n}": key for n, key in enumerate(self.app_keys, 1)})
        values.update(self.extra_secrets)
        return values

    # --- a fresh stage -----------------------------------------------------------------------

    def stage(self, name: str, worker_processes: int = 2, **extra_env: str) -> Stage:
        log_dir = self.log_root / name
        log_dir.mkdir(parents=True, exist_ok=True)
        self.redis.stop()
        self.redis.start()
        if not self.postgres.running:
            self.postgres.start()
        self.postgres.drop_database("billing")
        env = service_env(
            DATABASE_URL=self.postgres.url("billing"),
            REDIS_URL=self.redis.url,
            STRIPE_WEBHOOK_SECRET=self.webhook_secret,
            ADMIN_API_KEY=self.admin_key,
            LOG_FORMAT="json",
            EVENT_MIN_BACKOFF_MS="200",
            EVENT_MAX_BACKOFF_MS="2000",
            RELAY_AFTER_SECONDS="5",
            **extra_env,
        )
        run_cli(env, log_dir, "migrate")
        services = Services(env, log_dir)
        stage = Stage(name, env, services, log_dir, "", self.postgres.url("billing"))
        self.stages.append(stage)  # stopped by shutdown() whatever happens next
        # The processes boot (seconds each on a busy machine) while the CLI creates the tenant.
        worker = services.start_worker(processes=worker_processes)
        scheduler = services.start_scheduler()
        run_cli(env, log_dir, "projects", "create", PROJECT, "--name", "Acme Inc")
        output = run_cli(
            env,
            log_dir,
            "apps",
            "create",
            "--project",
            PROJECT,
            "--name",
            "faults",
            stdout_is_secret=True,
        )
        stage.app_key = output.strip().splitlines()[-1].strip()
        self.app_keys.append(stage.app_key)
        services.start_web()
        ready = services.wait_ready(worker, WORKER_READY, worker.processes)
        stage.worker_boot_s = ready - worker.started_at
        services.wait_ready(scheduler, "scheduler.started")
        return stage

    def finish(
        self,
        stage: Stage,
        world: World,
        log: DeliveryLog,
        outcome: Outcome,
        terminal_at: float | None,
    ) -> None:
        if terminal_at is None:
            outcome.notes.append(f"not every event terminal {DRAIN_TIMEOUT_S:.0f} s after delivery")
        check_end_state(
            world,
            log,
            stage.db_url,
            stage.services.web_url,
            self.admin_key,
            stage.app_key,
            stage.services.procs,
            outcome,
        )
        statuses = dict(sorted(log.statuses().items()))
        outcome.notes.append(f"answers to the sender: {statuses}")
        stage.services.stop_all()


# --- running a delivery while faults happen ----------------------------------------------------


def deliver_with_faults(
    harness: Harness,
    stage: Stage,
    world: World,
    items: list[list[dict]],
    spread_s: float,
    faults: Callable[[float], None] | None = None,
    on_sent: Callable[[], None] | None = None,
) -> tuple[DeliveryLog, float | None]:
    """Send every item (in a thread) while `faults(t0)` runs here; then wait until every event
    is terminal. Returns the delivery log and when every event was first terminal."""
    log = DeliveryLog()
    sender = Sender(stage.services.web_url, harness.webhook_secret, log)
    errors: list[BaseException] = []

    def send() -> None:
        try:
            sender.send_all(items, spread_s)
        except BaseException as exc:  # noqa: BLE001 - reported by the scenario
            errors.append(exc)
        finally:
            if on_sent is not None:
                on_sent()

    thread = threading.Thread(target=send, name="delivery")
    t0 = time.monotonic()
    thread.start()
    if faults is not None:
        faults(t0)
    thread.join()
    if errors:
        raise errors[0]
    terminal_at = wait_until_terminal(stage.db_url, world.event_ids(), log, DRAIN_TIMEOUT_S)
    return log, terminal_at


def sleep_until(t: float) -> None:
    if (wait := t - time.monotonic()) > 0:
        time.sleep(wait)


# --- the scenarios ------------------------------------------------------------------------------


def baseline(h: Harness) -> Result:
    world = build_world(h.config.users, h.config.seed)
    stage = h.stage("baseline")
    items = delivery_plan(world, 0.25, h.config.seed)
    log, terminal_at = deliver_with_faults(h, stage, world, items, spread_s=0)
    outcome = Outcome()
    h.finish(stage, world, log, outcome, terminal_at)
    outcome.five_xx = len(log.five_xx())
    if outcome.five_xx:
        outcome.fail(f"{outcome.five_xx} 5xx answer(s): {_sample(log.five_xx())}")
    if terminal_at is not None:
        outcome.notes.append(
            f"delivery {log.finished_at - log.started_at:.1f} s; all terminal "
            f"{max(0.0, terminal_at - log.finished_at):.1f} s after the last answer"
        )
    return Result("baseline", outcome)


def worker_kill(h: Harness) -> Result:
    world = build_world(h.config.users, h.config.seed + 1)
    stage = h.stage("worker-kill")
    items = delivery_plan(world, 0.25, h.config.seed + 1)
    # Each kill hits a worker that has been consuming for a while, and all three during the
    # delivery: room for three start-ups as slow as the first one (5-20 s on 2 busy cores).
    spread = max(h.config.spread_s * 1.5, 3 * (stage.worker_boot_s + 2.5) + 8)
    restarts: list[float] = []
    kills: list[float] = []
    ready: list[float] = []
    during: list[bool] = []
    sender_done = threading.Event()

    def faults(t0: float) -> None:
        working_since = time.monotonic()
        for at in (0.15, 0.5, 0.85):
            # each kill hits a worker that has been consuming for a while
            sleep_until(max(t0 + at * spread, working_since + 1.5))
            kills.append(time.monotonic())
            during.append(not sender_done.is_set())
            for worker in stage.services.running("worker"):
                worker.kill()
            time.sleep(1.0)
            replacement = stage.services.start_worker()
            restarts.append(replacement.started_at)
            working_since = stage.services.wait_ready(
                replacement, WORKER_READY, replacement.processes
            )
            ready.append(working_since)

    log, terminal_at = deliver_with_faults(
        h, stage, world, items, spread, faults, on_sent=sender_done.set
    )
    outcome = Outcome()
    recovery = terminal_at - restarts[-1] if terminal_at is not None else None
    h.finish(stage, world, log, outcome, terminal_at)
    outcome.five_xx = len(log.five_xx())
    if outcome.five_xx:
        outcome.fail(f"{outcome.five_xx} 5xx answer(s): {_sample(log.five_xx())}")
    _check_recovery(outcome, recovery, KILL_RECOVERY_LIMIT_S, "the last replacement worker started")
    t = log.started_at
    outcome.notes.append(
        f"SIGKILL of the worker's process group at {[round(k - t, 1) for k in kills]} s "
        f"(during delivery: {during}); replacements started at "
        f"{[round(r - t, 1) for r in restarts]} s, ready at {[round(r - t, 1) for r in ready]} s; "
        f"delivery ended at {log.finished_at - t:.1f} s (spread over {spread:.0f} s: the first "
        f"worker took {stage.worker_boot_s:.1f} s from start to ready)"
    )
    if terminal_at is not None:
        outcome.notes.append(
            f"all terminal {terminal_at - ready[-1]:.1f} s after the last replacement was ready"
        )
    if not all(during):
        outcome.fail(f"a kill came after the delivery had ended (workers start slowly?): {during}")
    result = Result("worker-kill", outcome, recovery, KILL_RECOVERY_LIMIT_S)
    if terminal_at is not None:
        result.recovery_detail = f"ready +{terminal_at - ready[-1]:.1f}"
    return result


def redis_outage(h: Harness) -> Result:
    world = build_world(h.config.users, h.config.seed + 2)
    stage = h.stage("redis-outage")
    items = delivery_plan(world, 0.25, h.config.seed + 2)
    spread = h.config.spread_s
    window: list[float] = []

    def faults(t0: float) -> None:
        sleep_until(t0 + 0.2 * spread)
        window.append(time.monotonic())
        h.redis.stop()
        time.sleep(15.0)
        h.redis.start()
        window.append(time.monotonic())

    log, terminal_at = deliver_with_faults(h, stage, world, items, spread, faults)
    outcome = Outcome()
    recovery = terminal_at - window[1] if terminal_at is not None else None
    h.finish(stage, world, log, outcome, terminal_at)
    outcome.five_xx = len(log.five_xx())
    if outcome.five_xx:
        outcome.fail(f"{outcome.five_xx} 5xx answer(s): {_sample(log.five_xx())}")
    during = [a for a in log.answers if window[0] + 0.5 <= a.at <= window[1]]
    not_ok = [a for a in during if a.status != 200]
    outcome.notes.append(f"{len(during)} answers while Redis was down, {len(not_ok)} not 200")
    if not_ok:
        outcome.fail(
            f"{len(not_ok)} answer(s) other than 200 while Redis was down: {_sample(not_ok)}"
        )
    _check_recovery(outcome, recovery, REDIS_RECOVERY_LIMIT_S, "Redis answered again")
    # When the relay queued the stranded events again: apart from the workers' pace.
    back_wall = window[1] + time.time() - time.monotonic()
    # Each pass logs 20 of its ids: were they stored while Redis was down, or after (events
    # merely waiting behind the backlog longer than RELAY_AFTER_SECONDS)?
    first_ack: dict[str, float] = {}
    for answer in sorted(log.answers, key=lambda a: a.at):
        if answer.status == 200:
            first_ack.setdefault(answer.event_id, answer.at)
    passes = []
    for proc in stage.services.procs:
        if proc.name.startswith("worker-"):
            for entry in json_entries(proc.log_path)[0]:
                if entry.get("event") == "relay.requeued":
                    at = datetime.fromisoformat(str(entry["timestamp"]).replace("Z", "+00:00"))
                    if at.timestamp() > back_wall:
                        sample = [first_ack.get(i, 0.0) for i in entry.get("event_ids", [])]
                        stored_down = sum(1 for a in sample if a <= window[1])
                        passes.append(
                            (
                                round(at.timestamp() - back_wall, 1),
                                entry.get("count"),
                                f"{stored_down}/{len(sample)} sampled stored during the outage",
                            )
                        )
    outcome.notes.append(
        f"relay passes after Redis was back (s, events queued, sample): {sorted(passes)}"
        + (
            f"; all terminal {recovery - max(p[0] for p in passes):.1f} s after the last"
            if passes and recovery is not None
            else ""
        )
    )
    return Result("redis-outage", outcome, recovery, REDIS_RECOVERY_LIMIT_S)


def postgres_restarts(h: Harness) -> Result:
    world = build_world(h.config.users, h.config.seed + 3)
    stage = h.stage("postgres-restarts")
    items = delivery_plan(world, 0.25, h.config.seed + 3)
    spread = h.config.spread_s
    windows: list[tuple[float, float]] = []

    def faults(t0: float) -> None:
        for at in (0.2, 0.5, 0.8):
            sleep_until(t0 + at * spread)
            down = time.monotonic()
            h.postgres.stop("fast")
            time.sleep(2.0)
            h.postgres.start()
            windows.append((down, time.monotonic()))

    log, terminal_at = deliver_with_faults(h, stage, world, items, spread, faults)
    outcome = Outcome()
    recovery = terminal_at - windows[-1][1] if terminal_at is not None else None

    def while_down(answer: Answer) -> bool:  # 503 while PostgreSQL is down, and just after
        return answer.status == 503 and any(a - 0.5 <= answer.at <= b + 5 for a, b in windows)

    h.finish(stage, world, log, outcome, terminal_at)
    expected_503 = [a for a in log.answers if while_down(a)]
    outcome.five_xx = len(log.five_xx(while_down))
    if outcome.five_xx:
        outcome.fail(
            f"{outcome.five_xx} 5xx answer(s) not explained by the outages: "
            f"{_sample(log.five_xx(while_down))}"
        )
    outcome.notes.append(
        f"{len(expected_503)} 503 answers while PostgreSQL was down or restarting (retried); "
        f"outages at {[round(a - log.started_at, 1) for a, _ in windows]} s"
    )
    return Result("postgres-restarts", outcome, recovery, None)


def simultaneous_duplicates(h: Harness) -> Result:
    world = build_world(h.config.users, h.config.seed + 4)
    stage = h.stage("duplicates-x4", worker_processes=4)
    items = delivery_plan(world, 0.40, h.config.seed + 4, simultaneous=True)
    log, terminal_at = deliver_with_faults(h, stage, world, items, spread_s=0)
    outcome = Outcome()
    h.finish(stage, world, log, outcome, terminal_at)
    outcome.five_xx = len(log.five_xx())
    if outcome.five_xx:
        outcome.fail(f"{outcome.five_xx} 5xx answer(s): {_sample(log.five_xx())}")
    pairs = sum(1 for item in items if len(item) > 1)
    both_new = sum(1 for n in log.new_acks.values() if n > 1)
    outcome.notes.append(
        f"{pairs} events sent as two simultaneous copies; {both_new} answered new twice; "
        f"worker --processes 4"
    )
    return Result("duplicates-x4", outcome)


def secrets_in_logs(h: Harness) -> Result:
    outcome = Outcome()
    secret_values = h.secrets()
    found = scan_for_secrets(h.log_root, secret_values)
    files = [p for p in h.log_root.rglob("*") if p.is_file()]
    outcome.events = 0
    for hit in found:
        outcome.fail(f"secret in a log file: {hit}")
    outcome.notes.append(
        f"{len(files)} log files of {sum(len(s.services.procs) for s in h.stages)} processes "
        f"(and CLI stderr, PostgreSQL, Redis) searched for {len(secret_values)} secrets"
    )
    return Result("secrets", outcome, events_label="-")


def _check_recovery(outcome: Outcome, recovery: float | None, limit: float, since: str) -> None:
    if recovery is None:
        outcome.fail(f"not every event terminal within {DRAIN_TIMEOUT_S:.0f} s after delivery")
    elif recovery >= limit:
        outcome.fail(f"recovery {recovery:.1f} s after {since}: limit {limit:.0f} s")


def _sample(answers: list[Answer], n: int = 3) -> list[str]:
    return [f"{a.status} {a.event_id} {a.error[:120]}" for a in answers[:n]]


def run_guarded(name: str, scenario: Callable[[Harness], Result], h: Harness) -> Result:
    """A scenario that crashed is a failing row, with its traceback, not the end of the run."""
    started = time.monotonic()
    try:
        result = scenario(h)
    except Exception:  # noqa: BLE001
        outcome = Outcome()
        outcome.fail(f"the scenario itself crashed:\n{traceback.format_exc()}")
        result = Result(name, outcome)
        for stage in h.stages:
            stage.services.stop_all()
        if not h.postgres.running:
            h.postgres.start()
    result.duration_s = time.monotonic() - started
    return result


def hostile_input(h: Harness) -> Result:
    from tests.faults.hostile import run_hostile

    stage = h.stage("hostile")
    outcome = Outcome()
    run_hostile(
        stage.services.web_url,
        stage.db_url,
        h.webhook_secret,
        h.admin_key,
        stage.app_key,
        h.config.hostile_examples,
        outcome,
        stage.log_dir,
    )
    crashed = stage.services.crashed()
    for proc in crashed:
        outcome.fail(f"{proc.name} exited on its own: {proc.log_tail(600)!r}")
    stage.services.stop_all()
    return Result("hostile-input", outcome, events_label=f"{outcome.events} requests")


# The inbox serializes the work on one user with this transaction-scoped advisory lock
# (shared/entitlements/recompute.py, LOCK_USERS); holding it from outside makes every handler
# that touches the user hang, as a handler stuck on a slow statement or a held lock would.
USER_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended(%s || '/' || %s, 0))"
STUCK_HOLD_S = 30.0


def stuck_handler(h: Harness) -> Result:
    world = build_world(h.config.users, h.config.seed + 5)
    stage = h.stage("stuck-handler")
    items = delivery_plan(world, 0.25, h.config.seed + 5)
    spread = h.config.spread_s
    per_user = Counter(world.event_users.values())
    stuck_user, stuck_events = per_user.most_common(1)[0]
    seen: dict[str, int] = {}
    waiting_ids: list[str] = []
    lock_waits: list[str] = []
    redelivered: list[tuple[int | None, float]] = []

    def faults(t0: float) -> None:
        sleep_until(t0 + 0.15 * spread)
        with psycopg.connect(stage.db_url, autocommit=False) as conn:
            conn.execute(USER_LOCK, (PROJECT, stuck_user))
            held_from = time.monotonic()
            # Stripe redelivers: copies of the stuck user's events, halfway through the hold
            redelivery = threading.Thread(
                target=_redeliver,
                args=(stage, h.webhook_secret, world, stuck_user, held_from + STUCK_HOLD_S / 2,
                      redelivered),
            )  # fmt: skip
            redelivery.start()
            while time.monotonic() < held_from + STUCK_HOLD_S:
                # worker transactions waiting on a lock: on the user's, or on the row of an
                # event another stuck transaction holds (a relayed copy)
                blocked = db_rows(
                    stage.db_url,
                    "SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock'",
                )[0]["n"]
                seen["max_blocked"] = max(seen.get("max_blocked", 0), blocked)
                time.sleep(1.0)
            rows = db_rows(
                stage.db_url,
                "SELECT id, status, received_at < now() - interval '5 seconds' AS old "
                "FROM webhook_events WHERE status = 'received'",
            )
            waiting = db_rows(
                stage.db_url,
                "SELECT wait_event, left(query, 48) AS q, count(*) AS n FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' GROUP BY 1, 2 ORDER BY 3 DESC",
            )
            seen["waiting_on_lock"] = sum(r["n"] for r in waiting)
            lock_waits.extend(f"{r['n']} × {r['wait_event']}: {r['q']!r}" for r in waiting)
            mine = [r for r in rows if world.event_users.get(r["id"]) == stuck_user]
            others = [r for r in rows if world.event_users.get(r["id"]) != stuck_user and r["old"]]
            seen.update(stuck=len(mine), others_waiting=len(others))
            waiting_ids.extend(r["id"] for r in others)
            seen["others_done"] = db_rows(
                stage.db_url, "SELECT count(*) AS n FROM webhook_events WHERE status <> 'received'"
            )[0]["n"]
            conn.rollback()
            seen["released_at"] = int((time.monotonic() - t0) * 10)
            seen["released_wall"] = int(time.time() * 10)

    log, terminal_at = deliver_with_faults(h, stage, world, items, spread, faults)
    outcome = Outcome()
    h.finish(stage, world, log, outcome, terminal_at)
    outcome.five_xx = len(log.five_xx())
    if outcome.five_xx:
        outcome.fail(f"{outcome.five_xx} 5xx answer(s): {_sample(log.five_xx())}")
    outcome.notes.append(
        f"{stuck_user} ({stuck_events} events) locked for {STUCK_HOLD_S:.0f} s from "
        f"{0.15 * spread:.1f} s: at the release {seen.get('stuck')} of its events were waiting, "
        f"{seen.get('waiting_on_lock')} transactions waiting on a lock (at most "
        f"{seen.get('max_blocked')} during the hold; the worker has 8 threads), "
        f"{seen.get('others_waiting')} events of other users waited over 5 s, "
        f"{seen.get('others_done')} events were handled; lock waits at the release: {lock_waits}"
    )
    stalled = [
        a
        for a in log.answers
        if world.event_users.get(a.event_id) != stuck_user and (a.status is None or a.took > 5)
    ]
    if stalled:
        outcome.fail(
            f"the webhook ingress stalled: {len(stalled)} requests for other users' events took "
            f"over 5 s or got no answer within 10 s (answers: "
            f"{dict(Counter(str(a.status) for a in stalled))})"
        )
    slow = sorted((round(d, 1), st) for st, d in redelivered if d > 2.0)
    outcome.notes.append(
        f"{len(redelivered)} copies of its events posted again {STUCK_HOLD_S / 2:.0f} s into the "
        f"hold: answers {dict(Counter(st for st, _ in redelivered))}, "
        f"{len(slow)} took over 2 s: {slow[:6]}"
    )
    bad = [(st, round(d, 1)) for st, d in redelivered if st is None or st >= 500 or d > 10]
    if bad:
        outcome.five_xx += sum(1 for st, _ in bad if st is not None and st >= 500)
        outcome.fail(
            f"Stripe's redeliveries of events whose handling is stuck waited for it: "
            f"(status, seconds) {bad[:6]}"
        )
    if not seen.get("stuck"):
        outcome.fail(
            "the held lock blocked none of the user's events: the scenario no longer matches "
            "how the inbox serializes a user's work (USER_LOCK)"
        )
    if seen.get("others_waiting"):
        handled = db_rows(
            stage.db_url,
            "SELECT id, extract(epoch FROM processed_at)::float AS at FROM webhook_events "
            "WHERE id = ANY(%s)",
            (waiting_ids,),
        )
        after = sorted(round(r["at"] - seen["released_wall"] / 10, 1) for r in handled)
        outcome.fail(
            f"{seen['others_waiting']} events of other users waited over 5 s while handlers were "
            f"stuck on one user; handled {after} s after the lock was released"
        )
    recovery = None
    if terminal_at is not None:
        recovery = terminal_at - log.started_at - seen.get("released_at", 0) / 10
    return Result("stuck-handler", outcome, recovery, None)


STRIPE_SLOW_S = 5.0


def _redeliver(
    stage: Stage,
    secret: str,
    world: World,
    user: str,
    at: float,
    answers: list[tuple[int | None, float]],
) -> None:
    """Post every event of `user` again at `at`, each from its own thread, as Stripe retries."""
    import httpx

    from tests.faults.sender import WEBHOOK_PATH
    from tests.stripe_events import to_body
    from tests.support.signing import sign

    sleep_until(at)

    def post(event: dict[str, Any]) -> None:
        body = to_body(event).encode()
        started = time.monotonic()
        try:
            response = httpx.post(
                stage.services.web_url + WEBHOOK_PATH,
                content=body,
                headers={"Stripe-Signature": sign(body, secret)},
                timeout=30,
            )
            status: int | None = response.status_code
        except httpx.HTTPError:
            status = None
        answers.append((status, time.monotonic() - started))

    events = [e for e in world.events if world.event_users[e["id"]] == user]
    threads = [threading.Thread(target=post, args=(e,)) for e in events]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def stripe_api_healthy(h: Harness) -> Result:
    """The same world and look-ups with the Stripe API answering at once: the control that
    `stripe-api` compares with (not run by default)."""
    return stripe_api_faults(h, outage=False)


def stripe_api_faults(h: Harness, outage: bool = True) -> Result:
    """Look-ups (a customer's owner, a session's product) while the Stripe API is unreachable,
    then slow (5 s a call), then back: events must not wait for it, and every look-up's result
    must arrive in the end."""
    from tests.fakes.stripe_api import FakeStripe
    from tests.faults.stores import free_port

    world = build_world(h.config.users, h.config.seed + 6, lookups=True)
    port = free_port()
    api_key = "sk_test_" + secrets.token_hex(12)
    h.extra_secrets["STRIPE_SECRET_KEY"] = api_key
    fake = FakeStripe(api_key=api_key, port=port)
    for customer in world.stripe_customers.values():
        fake.add_customer(customer)
    for session, item in world.stripe_sessions:
        fake.add_checkout_session(session, [item])
    name = "stripe-api" if outage else "stripe-api-healthy"
    stage = h.stage(
        name,
        STRIPE_SECRET_KEY=api_key,
        STRIPE_API_BASE=f"http://127.0.0.1:{port}",
        RECONCILIATION_ENABLED="false",  # the look-ups alone must bring the state right
    )
    items = delivery_plan(world, 0.25, h.config.seed + 6)
    spread = h.config.spread_s
    phases: dict[str, float] = {}

    def faults(t0: float) -> None:
        phases["unreachable"] = time.monotonic()  # nothing listens on the port yet
        if not outage:
            fake.start()
        sleep_until(t0 + spread / 3)
        if outage:
            fake.start()
            fake.hang_next(10**6, STRIPE_SLOW_S)
        phases["slow"] = time.monotonic()
        sleep_until(t0 + 2 * spread / 3)
        fake.clear_faults()
        phases["back"] = time.monotonic()

    try:
        log, terminal_at = deliver_with_faults(h, stage, world, items, spread, faults)
        outcome = Outcome()
        # The events are terminal; the look-ups may still be coming in: wait for the oracle.
        settled_at = _wait_for_oracle(stage, world, timeout_s=90)
        h.finish(stage, world, log, outcome, terminal_at)
    finally:
        fake.stop()
    outcome.five_xx = len(log.five_xx())
    if outcome.five_xx:
        outcome.fail(f"{outcome.five_xx} 5xx answer(s): {_sample(log.five_xx())}")
    # How long events waited, by when they arrived (while the API was out, or after), and how
    # fast they were handled meanwhile.
    rows = db_rows(
        stage.db_url,
        "SELECT extract(epoch FROM processed_at - received_at)::float AS wait, "
        "extract(epoch FROM received_at)::float AS arrived, "
        "extract(epoch FROM processed_at)::float AS handled FROM webhook_events "
        "WHERE processed_at IS NOT NULL",
    )
    wall = time.time() - time.monotonic()
    out_from, back = phases["unreachable"] + wall, phases["back"] + wall
    out = sorted(r["wait"] for r in rows if r["arrived"] < back)
    after = sorted(r["wait"] for r in rows if r["arrived"] >= back)
    rate_out = sum(1 for r in rows if out_from <= r["handled"] < back) / (back - out_from)
    arriving = sum(1 for r in rows if out_from <= r["arrived"] < back) / (back - out_from)
    outcome.notes.append(
        (
            f"Stripe API unreachable 0-{spread / 3:.0f} s, {STRIPE_SLOW_S:.0f} s a call until "
            f"{2 * spread / 3:.0f} s, then back; "
            if outage
            else "Stripe API answering at once throughout (control); "
        )
        + f"{len(world.stripe_sessions)} sessions without "
        f"product_id, {sum(1 for c in world.stripe_customers.values() if c['metadata'])} owners "
        f"known only to the API"
    )
    during = "while the API was out" if outage else f"in the first {back - out_from:.0f} s"
    outcome.notes.append(
        f"{during}, events arrived at {arriving:.0f}/s and were handled at {rate_out:.0f}/s; "
        f"received-to-handled wait of those that arrived then: {_percentiles(out)}, of those "
        f"after: {_percentiles(after)}"
    )
    if out and out[int(0.95 * (len(out) - 1))] > 5.0:
        outcome.fail(
            f"events waited for the Stripe API: handled at {rate_out:.0f}/s while it was out "
            f"(arriving at {arriving:.0f}/s), waits {_percentiles(out)}"
        )
    recovery = settled_at - phases["back"] if settled_at is not None and phases else None
    return Result(name, outcome, recovery, None)


def _percentiles(values: list[float]) -> str:
    if not values:
        return "none"
    pick = lambda q: values[int(q * (len(values) - 1))]  # noqa: E731
    return (
        f"p50 {pick(0.5):.1f} s, p95 {pick(0.95):.1f} s, max {values[-1]:.1f} s (n={len(values)})"
    )


def _wait_for_oracle(stage: Stage, world: World, timeout_s: float) -> float | None:
    """Poll the database until every user's entitlements equal the oracle."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        grants: dict[str, dict[str, str]] = {}
        for r in db_rows(
            stage.db_url,
            "SELECT user_id, entitlement_key, source_id FROM entitlements WHERE project_id = %s",
            (PROJECT,),
        ):
            grants.setdefault(r["user_id"], {})[r["entitlement_key"]] = r["source_id"]
        if all(
            grants.get(u, {}) == {k: v["source_id"] for k, v in world.entitlements(u).items()}
            for u in world.users
        ):
            return time.monotonic()
        time.sleep(0.5)
    return None

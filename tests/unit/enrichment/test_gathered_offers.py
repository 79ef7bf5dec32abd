"""Look-up asks are gathered for a moment and sent together: asks for one key become one, dated
by the earliest event, and what became needless meanwhile is not sent."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from workers.enrichment_offers import Args, GatheredOffers

REPO = Path(__file__).resolve().parents[3]
Sent = list[tuple[object, ...]]


def keep_all(actor: str, asks: list[Args]) -> list[Args]:
    return asks


def wait_for(sent: Sent, count: int) -> None:
    deadline = time.monotonic() + 5
    while len(sent) < count and time.monotonic() < deadline:
        time.sleep(0.01)


def test_asks_for_one_key_are_sent_once_with_the_earliest_date() -> None:
    sent: Sent = []
    offers = GatheredOffers(lambda *args: sent.append(args), keep_all, threaded=False)
    for created in (150, 100, 120):
        offers.offer("customer", "cus_1", created)
    offers.offer("session", "cs_1", "pi_1", 90)
    offers.offer("customer", "cus_2", 130)
    assert sent == []

    offers.flush()

    assert sorted(sent, key=str) == sorted(
        [("customer", "cus_1", 100), ("customer", "cus_2", 130), ("session", "cs_1", "pi_1", 90)],
        key=str,
    )
    offers.flush()
    assert len(sent) == 3  # each ask is sent once


def test_asks_made_needless_meanwhile_are_not_sent() -> None:
    sent: Sent = []

    def keep(actor: str, asks: list[Args]) -> list[Args]:
        return [args for args in asks if args[0] != "cus_linked"]

    offers = GatheredOffers(lambda *args: sent.append(args), keep, threaded=False)
    offers.offer("customer", "cus_linked", 1)
    offers.offer("customer", "cus_open", 1)
    offers.flush()
    assert sent == [("customer", "cus_open", 1)]


def test_when_the_check_fails_every_ask_is_sent() -> None:
    """The look-up checks again before it calls Stripe: sending too many only costs a message."""
    sent: Sent = []

    def keep(actor: str, asks: list[Args]) -> list[Args]:
        raise ConnectionError("database down")

    offers = GatheredOffers(lambda *args: sent.append(args), keep, threaded=False)
    offers.offer("customer", "cus_1", 1)
    offers.flush()
    assert sent == [("customer", "cus_1", 1)]


def test_a_thread_of_its_own_sends_them_after_the_gathering_time() -> None:
    sent: Sent = []
    offers = GatheredOffers(lambda *args: sent.append(args), keep_all, gather_s=0.05)
    offers.offer("customer", "cus_1", 1)
    wait_for(sent, 1)
    assert sent == [("customer", "cus_1", 1)]


def test_a_send_that_fails_loses_that_ask_alone_and_later_asks_still_go_out() -> None:
    sent: Sent = []

    def send(*args: object) -> None:
        if args[1] == "cus_bad":
            raise ConnectionError("redis down")
        sent.append(args)

    offers = GatheredOffers(send, keep_all, gather_s=0.05)
    offers.offer("customer", "cus_bad", 1)
    offers.offer("customer", "cus_1", 1)
    wait_for(sent, 1)
    offers.offer("customer", "cus_2", 1)
    wait_for(sent, 2)
    assert sent == [("customer", "cus_1", 1), ("customer", "cus_2", 1)]


def test_asks_still_gathered_when_the_process_ends_are_sent_unchecked() -> None:
    program = (
        "from workers.enrichment_offers import GatheredOffers\n"
        "def keep(actor, asks):\n"
        "    raise AssertionError('no database read at exit')\n"
        "offers = GatheredOffers(print, keep, gather_s=3600)\n"
        "offers.offer('customer', 'cus_1', 7)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=30, cwd=REPO
    )
    assert done.returncode == 0, done.stderr
    assert "customer cus_1 7" in done.stdout.splitlines(), done.stdout + done.stderr


def test_a_forked_child_sends_its_own_asks_and_not_its_parents() -> None:
    read_end, write_end = os.pipe()
    offers = GatheredOffers(lambda *args: os.write(write_end, repr(args).encode()), keep_all,
                            threaded=False)  # fmt: skip
    offers.offer("customer", "cus_parent", 1)
    pid = os.fork()
    if pid == 0:  # the child
        try:
            offers.offer("customer", "cus_child", 2)
            offers.flush()
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    os.close(write_end)
    assert os.read(read_end, 1000).decode() == repr(("customer", "cus_child", 2))
    os.close(read_end)

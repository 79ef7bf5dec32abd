"""A small stateful fake of the Stripe API endpoints reconciliation calls, over real HTTP.

Point the real ``stripe`` client at ``base_url`` (``StripeClient(key, base_addresses=
{"api": base_url})`` or ``STRIPE_API_BASE``). Objects come from ``tests.stripe_events``.
Note the client retries 5xx twice by default (``max_network_retries``): ``fail_next(1)``
is then invisible to the caller, ``fail_after(k)`` is not.

Manual demo, from the repository root::

    python -m tests.fakes.stripe_api --port 12111 --api-key sk_test_fake --seed-demo
"""

from __future__ import annotations

import argparse
import threading
from collections.abc import Iterable
from types import TracebackType
from typing import Any

from tests.fakes.params import Params
from tests.fakes.server import FakeStripeServer
from tests.fakes.store import Json, StripeStore

DEFAULT_API_KEY = "sk_test_fake"


class FakeStripe:
    """The fake Stripe API: state, an HTTP server on 127.0.0.1, and fault injection."""

    def __init__(self, api_key: str = DEFAULT_API_KEY, port: int = 0) -> None:
        self.api_key = api_key
        self.store = StripeStore()
        self._port = port
        self._server: FakeStripeServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------
    def start(self) -> FakeStripe:
        """Serve in a background thread; port 0 picks a free one (see ``base_url``)."""
        if self._server is not None:
            return self
        self._server = FakeStripeServer(self._port, self.store, self.api_key)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-stripe",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; requests left hanging by ``hang_next`` are dropped."""
        server, self._server = self._server, None
        if server is None:
            return
        server.stopping.set()
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeStripe:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def _running(self) -> FakeStripeServer:
        if self._server is None:
            raise RuntimeError("FakeStripe is not started; call start() or use it as a context")
        return self._server

    @property
    def port(self) -> int:
        return int(self._running.server_address[1])

    @property
    def base_url(self) -> str:
        """What ``STRIPE_API_BASE`` should be set to, e.g. ``http://127.0.0.1:54321``."""
        return f"http://127.0.0.1:{self.port}"

    # --- state -----------------------------------------------------------------------
    def add_subscription(self, obj: Json) -> Json:
        return self.store.put("subscription", obj)

    def add_payment_intent(self, obj: Json) -> Json:
        return self.store.put("payment_intent", obj)

    def add_charge(self, obj: Json) -> Json:
        return self.store.put("charge", obj)

    def add_customer(self, obj: Json) -> Json:
        return self.store.put("customer", obj)

    def add_event(self, evt: Json) -> Json:
        return self.store.put("event", evt)

    def add_checkout_session(self, obj: Json, line_items: Iterable[Json] = ()) -> Json:
        """A session and the items its ``/line_items`` lists (built by ``checkout_line_item``)."""
        self.store.put("checkout.session", obj)
        self.store.put_line_items(obj["id"], line_items)
        return obj

    def update(self, obj_id: str, **fields: Any) -> Json:
        """Change a stored object in place, as Stripe would after a change in the dashboard."""
        return self.store.update(obj_id, fields)

    # --- fault injection -------------------------------------------------------------
    def fail_next(self, n: int, status: int = 500) -> None:
        """The next ``n`` requests answer ``status`` with Stripe's ``api_error`` body."""
        faults = self._running.faults
        with faults.lock:
            faults.fail_count, faults.fail_status = n, status

    def fail_after(self, k: int, status: int = 500) -> None:
        """Let ``k`` requests through, then fail every one after (until ``clear_faults``)."""
        faults = self._running.faults
        with faults.lock:
            faults.pass_before_failing, faults.fail_status = k, status

    def rate_limit_next(self, n: int, retry_after_s: int = 1) -> None:
        """The next ``n`` requests answer 429 ``rate_limit`` with ``Retry-After``, as Stripe
        does past about 100 reads a second (25 in test mode)."""
        faults = self._running.faults
        with faults.lock:
            faults.rate_limited_count, faults.retry_after_s = n, retry_after_s

    def hang_next(self, n: int, seconds: float) -> None:
        """Delay the next ``n`` answers by ``seconds``, to trip the client's timeout."""
        faults = self._running.faults
        with faults.lock:
            faults.hang_count, faults.hang_s = n, seconds

    def clear_faults(self) -> None:
        faults = self._running.faults
        with faults.lock:
            faults.fail_count, faults.pass_before_failing, faults.hang_count = 0, None, 0
            faults.rate_limited_count = 0

    @property
    def request_log(self) -> list[tuple[str, str, Params]]:
        """Every request as ``(method, path, decoded params)``, oldest first."""
        return self._running.request_log


def main(argv: list[str] | None = None) -> None:
    """Serve the fake in the foreground until Ctrl-C."""
    from tests.fakes.demo import seed_demo

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--api-key", default=DEFAULT_API_KEY)
    parser.add_argument("--seed-demo", action="store_true", help="add a few demo objects")
    args = parser.parse_args(argv)
    fake = FakeStripe(api_key=args.api_key, port=args.port).start()
    if args.seed_demo:
        print(seed_demo(fake), flush=True)
    print(f"Fake Stripe API at {fake.base_url} (key {args.api_key})", flush=True)
    print(f"  STRIPE_API_BASE={fake.base_url} STRIPE_SECRET_KEY={args.api_key} billing reconcile")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()


if __name__ == "__main__":
    main()

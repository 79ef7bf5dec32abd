"""The ``fake_stripe`` pytest fixture; import it in a conftest to use it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.stripe_api import FakeStripe


@pytest.fixture
def fake_stripe() -> Iterator[FakeStripe]:
    """A fresh, empty fake Stripe API served on a free port for one test."""
    with FakeStripe() as fake:
        yield fake

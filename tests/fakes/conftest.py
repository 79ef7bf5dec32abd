"""Makes the ``fake_stripe`` fixture available to the fake's own tests."""

from tests.fakes.fixtures import fake_stripe  # noqa: F401

"""A look-up is asked once per process for a key, again only for an earlier event or after a
while: the earliest date any event would give still reaches the look-up."""

from __future__ import annotations

from workers.enrichment_offers import ASK_AGAIN_AFTER_S, OfferOnce


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_later_events_of_the_same_customer_do_not_ask_again() -> None:
    asked: list[tuple[object, ...]] = []
    offer = OfferOnce(lambda *args: asked.append(args), clock=Clock())
    for created in (100, 100, 150, 120):
        offer("cus_1", created)
    offer("cus_2", 130)
    assert asked == [("cus_1", 100), ("cus_2", 130)]


def test_an_earlier_event_asks_again_so_the_earliest_date_wins() -> None:
    asked: list[tuple[object, ...]] = []
    offer = OfferOnce(lambda *args: asked.append(args), clock=Clock())
    for created in (100, 50, 70, 40):
        offer("cus_1", created)
    assert asked == [("cus_1", 100), ("cus_1", 50), ("cus_1", 40)]


def test_a_key_of_several_parts_and_asking_again_after_a_while() -> None:
    asked: list[tuple[object, ...]] = []
    clock = Clock()
    offer = OfferOnce(lambda *args: asked.append(args), clock=clock)
    offer("cs_1", "pi_1", 10)
    offer("cs_1", "pi_1", 10)
    offer("cs_1", "pi_2", 10)
    clock.now = ASK_AGAIN_AFTER_S + 1
    offer("cs_1", "pi_1", 10)
    assert asked == [("cs_1", "pi_1", 10), ("cs_1", "pi_2", 10), ("cs_1", "pi_1", 10)]


def test_only_so_many_keys_are_remembered() -> None:
    asked: list[tuple[object, ...]] = []
    offer = OfferOnce(lambda *args: asked.append(args), clock=Clock(), max_remembered=2)
    for customer in ("cus_1", "cus_2", "cus_3", "cus_1"):
        offer(customer, 1)
    assert [args[0] for args in asked] == ["cus_1", "cus_2", "cus_3", "cus_1"]

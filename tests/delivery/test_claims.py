"""How delivery threads share a backlog: claims that find nothing are not repeated per webhook.

A process sends to one receiver from at most `host_limit` of its threads; the others skip that
receiver. Waking such a thread for every due row of a receiver it may not serve made it read
the whole backlog each time to find nothing (at 10,000 rows, 100 ms of the database's time per
delivered webhook). These tests count claims, not time."""

from __future__ import annotations

from collections import Counter

import pytest

from payment_service.app import create_runtime
from payment_service.db.queries import outbox
from payment_service.delivery.dispatcher import Dispatcher
from payment_service.runtime import Runtime
from payment_service.testing import WebhookReceiver

from .conftest import delivery_settings, seed
from .test_delivery import wait_until, webhook_row

ROWS = 60


def without_polls(database_url: str, *, threads: int, per_receiver: int) -> Runtime:
    """A runtime whose dispatchers never poll during a test: every claim is one a wake-up (or
    a thread's start) asked for."""
    settings = delivery_settings(
        database_url,
        PAYMENT_WEBHOOK_WORKERS=str(threads),
        PAYMENT_WEBHOOK_HOST_CONCURRENCY=str(per_receiver),
        PAYMENT_WEBHOOK_POLL_S="60",
    )
    return create_runtime(settings)


@pytest.fixture
def counted_claims(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Every claim the dispatchers make, by what it found: `leased`, `nothing` (no receiver
    skipped) or `futile` (receivers skipped, nothing found)."""
    counts: Counter[str] = Counter()
    lease_due = outbox.lease_due

    def counting(session, now, limit, skip_receivers, *args, **kwargs):  # type: ignore[no-untyped-def]
        skipped = list(skip_receivers)
        found, upcoming = lease_due(session, now, limit, skipped, *args, **kwargs)
        counts["leased" if found else "futile" if skipped else "nothing"] += 1
        return found, upcoming

    monkeypatch.setattr(outbox, "lease_due", counting)
    return counts


def test_a_backlog_for_one_receiver_is_not_scanned_again_per_webhook(
    database_url: str, counted_claims: Counter[str]
) -> None:
    runtime = without_polls(database_url, threads=4, per_receiver=3)
    keys = runtime.settings.keys.connection
    with WebhookReceiver(keys.key, keys.iv) as receiver:
        receiver.delay_s = 0.02  # long enough for three threads to be sending at once
        ids = [webhook_id for [webhook_id] in seed(runtime, receiver.url, payments=ROWS)]
        dispatcher = Dispatcher(runtime).start()
        try:
            wait_until(lambda: len(receiver.received) == ROWS, 30)
        finally:
            dispatcher.stop()
    assert sorted(webhook.id for webhook in receiver.received) == sorted(ids)  # once each
    assert {webhook_row(runtime, webhook_id).status for webhook_id in ids} == {"delivered"}
    # (A lease is given back when the receiver's shares filled while it was being taken.)
    assert ROWS <= counted_claims["leased"] <= ROWS + 4, counted_claims
    # The fourth thread may look once per share that fills, not once per row delivered.
    assert counted_claims["futile"] <= 4, counted_claims
    runtime.close()


def test_an_announced_webhook_of_another_receiver_is_claimed_past_the_full_one(
    database_url: str, counted_claims: Counter[str]
) -> None:
    """The remembered "nothing else is due" is forgotten when a new webhook is announced."""
    runtime = without_polls(database_url, threads=2, per_receiver=1)
    keys = runtime.settings.keys.connection
    with (
        WebhookReceiver(keys.key, keys.iv) as slow,
        WebhookReceiver(keys.key, keys.iv) as other,
    ):
        slow.delay_s = 0.2
        backlog = [webhook_id for [webhook_id] in seed(runtime, slow.url, payments=10)]
        dispatcher = Dispatcher(runtime).start()
        try:
            # One thread sends to the slow receiver; the other found nothing else to do.
            wait_until(lambda: counted_claims["futile"] >= 1, 10)
            [[announced]] = seed(runtime, other.url)
            dispatcher.wake()  # what the commit of a change does in this process
            wait_until(lambda: webhook_row(runtime, announced).status == "delivered", 10)
            assert webhook_row(runtime, backlog[-1]).status == "pending"  # went first anyway
            wait_until(lambda: len(slow.received) == len(backlog), 30)
        finally:
            dispatcher.stop()
    assert [webhook.id for webhook in other.received] == [announced]
    runtime.close()

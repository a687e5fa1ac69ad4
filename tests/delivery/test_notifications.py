"""Waking the sender: a commit in another process wakes it at once (PostgreSQL NOTIFY, SQLite's
change counter), and polling still delivers what a lost notification did not announce.

The sender here is wired as `payment-service webhooks deliver` wires it (a dispatcher and an
`OutboxListener` calling its `wake`); the writer is a second runtime over the same database,
with its own engine, as an API process is.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import closing

import pytest
from sqlalchemy import text

from payment_service.app import create_runtime
from payment_service.db.notifications import OutboxListener
from payment_service.delivery import outbox
from payment_service.delivery.dispatcher import Dispatcher, counts
from payment_service.runtime import Runtime
from tests.support.servers import wait_until

from .conftest import delivery_settings, seed

NEVER_S = "3600"  # a poll interval no test outlives


@pytest.fixture
def writer(database_url: str) -> Iterator[Runtime]:
    """The API process's side: commits changes and their webhooks, delivers nothing."""
    with closing(create_runtime(delivery_settings(database_url))) as runtime:
        yield runtime


class Sender:
    """A dispatcher, optionally with the listener, counting the wake-ups the listener makes."""

    def __init__(self, database_url: str, poll_s: str, listen: bool):
        self.runtime = create_runtime(
            delivery_settings(database_url, PAYMENT_WEBHOOK_POLL_S=poll_s)
        )
        self.dispatcher = Dispatcher(self.runtime)
        self.wakes = 0
        self._lock = threading.Lock()
        self.listener = OutboxListener(self.runtime.database, self._wake) if listen else None

    def _wake(self) -> None:
        with self._lock:
            self.wakes += 1
        self.dispatcher.wake()

    def start(self) -> Sender:
        self.dispatcher.start()
        if self.listener is not None:
            self.listener.start()
            assert self.listener.listening.wait(15), "the listener never started listening"
        return self

    def stop(self) -> None:
        if self.listener is not None:
            self.listener.stop()
        self.dispatcher.stop()
        self.runtime.close()


@pytest.fixture
def sender_factory(database_url: str) -> Iterator:
    started: list[Sender] = []

    def make(poll_s: str, listen: bool) -> Sender:
        sender = Sender(database_url, poll_s, listen).start()
        started.append(sender)
        return sender

    yield make
    for sender in started:
        sender.stop()


def delivered(runtime: Runtime) -> int:
    return counts(runtime)["delivered"]


def test_a_commit_in_another_process_wakes_a_listening_sender_that_never_polls(
    writer, receiver, sender_factory
):
    sender = sender_factory(NEVER_S, listen=True)
    [[first]] = seed(writer, receiver.url)
    receiver.wait_for(lambda webhook: webhook.id == first, timeout=15)
    wait_until(lambda: delivered(writer) == 1)
    # Once more, with the sender idle: its threads look again after each delivery, and on
    # SQLite the listener also wakes them for the sender's own commits (within SQLITE_CHECK_S);
    # after this pause only a new wake-up can make them look.
    time.sleep(1.0)
    wakes = sender.wakes
    [[second]] = seed(writer, receiver.url)
    receiver.wait_for(lambda webhook: webhook.id == second, timeout=15)
    assert sender.wakes > wakes
    assert [webhook.id for webhook in receiver.received] == [first, second]
    wait_until(lambda: delivered(writer) == 2)


def test_with_every_notification_dropped_polling_still_delivers_each_webhook_once(
    writer, receiver, sender_factory, monkeypatch
):
    # The writer announces nothing (a NOTIFY lost with a dropped connection, a sender
    # restarting), and the sender listens to nothing: only its poll finds the rows.
    monkeypatch.setattr(outbox, "notify_outbox", lambda session: None)
    sender_factory("0.05", listen=False)
    ids = [webhook_id for [webhook_id] in seed(writer, receiver.url, payments=3)]
    receiver.wait_for_count(3, timeout=15)
    wait_until(lambda: delivered(writer) == 3)
    assert sorted(webhook.id for webhook in receiver.received) == sorted(ids)
    assert receiver.attempts == 3


def test_a_listener_whose_connection_is_killed_listens_again(
    database_url, writer, receiver, sender_factory
):
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's LISTEN connection (SQLite's counter has no connection to lose)")
    sender = sender_factory(NEVER_S, listen=True)
    with writer.database.engine.begin() as connection:
        killed = connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE query = 'LISTEN payment_outbox' AND datname = current_database()"
            )
        ).all()
    assert killed == [(True,)]
    wait_until(lambda: not sender.listener.listening.is_set(), timeout=15)
    assert sender.listener.listening.wait(15)
    [[webhook_id]] = seed(writer, receiver.url)
    receiver.wait_for(lambda webhook: webhook.id == webhook_id, timeout=15)
    wait_until(lambda: delivered(writer) == 1)

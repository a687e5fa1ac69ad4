"""Fixtures for webhook delivery: a runtime over a fresh database, seeded outbox rows, and a
real HTTP receiver. Schedules are shortened through settings, as operators can."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from flask import Response, request

from payment_service.app import create_runtime
from payment_service.client import PaymentWebhook
from payment_service.db import PaymentHistory
from payment_service.delivery.dispatcher import Dispatcher
from payment_service.delivery.outbox import enqueue
from payment_service.payments.views import history_view
from payment_service.runtime import Runtime
from payment_service.settings import Settings
from payment_service.testing import WebhookReceiver
from tests.conftest import make_settings
from tests.support.rows import confirmed_history

FAST = {
    "PAYMENT_WEBHOOK_RETRY_BASE_S": "0.05",
    "PAYMENT_WEBHOOK_RETRY_MAX_S": "0.2",
    "PAYMENT_WEBHOOK_POLL_S": "0.05",
    "PAYMENT_WEBHOOK_TIMEOUT_S": "2",
}


def delivery_settings(database_url: str, **environ: str) -> Settings:
    base = make_settings(database_url)
    env = {**base.environ, **FAST, **environ}
    return Settings.load(environ=env, env_file=None)


@pytest.fixture
def runtime(database_url: str) -> Iterator[Runtime]:
    with closing(create_runtime(delivery_settings(database_url))) as runtime:
        yield runtime


@pytest.fixture
def receiver(runtime: Runtime) -> Iterator[WebhookReceiver]:
    keys = runtime.settings.keys.connection
    with WebhookReceiver(keys.key, keys.iv) as receiver:
        yield receiver


def keep_bodies(receiver: WebhookReceiver) -> list[str]:
    """The raw bodies `receiver` gets from now on, as sent (before it decrypts them)."""
    bodies: list[str] = []
    receive = receiver._receive

    def capture() -> Response:
        bodies.append(request.get_data(as_text=True))
        return receive()

    receiver.app.view_functions["webhook"] = capture
    return bodies


@dataclass
class Delivered:
    """One seeded webhook as its receiver got it: id, request headers and raw body."""

    webhook_id: str
    headers: dict[str, str]
    body: str
    received: PaymentWebhook
    key: str
    iv: str


def deliver_one(database_url: str, **environ: str) -> Delivered:
    """Seed one webhook under these settings and deliver it once to a fresh receiver."""
    runtime = create_runtime(delivery_settings(database_url, **environ))
    keys = runtime.settings.keys.connection
    try:
        with WebhookReceiver(keys.key, keys.iv) as receiver:
            bodies = keep_bodies(receiver)
            [[webhook_id]] = seed(runtime, receiver.url)
            Dispatcher(runtime).run_once()
            (headers,) = receiver.headers
            (received,) = receiver.received
    finally:
        runtime.close()
    return Delivered(webhook_id, headers, bodies[0], received, keys.key, keys.iv)


def numbered_view(history: PaymentHistory, cipher, sequence: int) -> dict:
    """The history's `IPaymentHistory`, its `refund` numbering the change."""
    return {**history_view(history, cipher), "refund": sequence}


def seed(runtime: Runtime, webhook_url: str, payments: int = 1, events: int = 1) -> list[list[str]]:
    """Create `payments` histories with `events` outbox rows each, in order; return the ids."""
    ids: list[list[str]] = []
    for _ in range(payments):
        with runtime.database.transaction() as session:
            history = confirmed_history(runtime.settings.keys.history, webhook_url, price=1000)
            session.add(history)
            session.flush()
            history_id = history.id
        webhook_ids = []
        for sequence in range(events):
            with runtime.database.transaction() as session:
                history = session.get(PaymentHistory, history_id)
                webhook = enqueue(
                    session,
                    history,
                    numbered_view(history, runtime.settings.keys.history, sequence),
                    numbered_view(history, runtime.settings.keys.history, sequence + 1),
                    {"seeded": sequence},
                    runtime.settings,
                    datetime.now(UTC),
                )
                session.flush()
                webhook_ids.append(webhook.id)
        ids.append(webhook_ids)
    return ids

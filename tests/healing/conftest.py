"""Self-healing end to end: the payment server and the fakes on free ports (SQLite and
PostgreSQL), a webhook receiver, and the housekeeper's jobs run at chosen times (the reconcile
tests' gateways, and a backend per test whose housekeeper waits for the test to run its jobs)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from payment_service.client import PaymentHistory
from payment_service.housekeeping import JOBS, run_jobs
from payment_service.runtime import Runtime
from payment_service.testing import PaymentBackend
from payment_service.vendors import GatewayTimeout
from tests.reconcile.conftest import PASSWORD, STORES, Gateways, gateways
from tests.support.backends import ENVIRON, client, receiver
from tests.support.cli import Result, run_cli

__all__ = ["backend", "client", "gateways", "receiver"]  # fixtures of this package


@pytest.fixture
def backend(database_url: str) -> Iterator[PaymentBackend]:
    """A backend of this test only whose own housekeeper never runs a round by itself: the
    tests run the jobs at the times they choose."""
    quiet = {**ENVIRON, "PAYMENT_HOUSEKEEPING_INTERVAL_S": "86400"}
    with PaymentBackend(database_url, environ=quiet) as backend:
        yield backend


def at(backend: PaymentBackend, now: datetime, **settings: Any) -> Runtime:
    """The backend's runtime with the clock at `now` (and settings changed)."""
    changed = dataclasses.replace(backend.runtime.settings, **settings)
    return dataclasses.replace(backend.runtime, clock=lambda: now, closers=[], settings=changed)


def housekeeping(backend: PaymentBackend, now: datetime, **settings: Any) -> dict[str, bool]:
    """One round of every housekeeping job at `now` (with these settings)."""
    return run_jobs(at(backend, now, **settings), JOBS)


def count(backend: PaymentBackend, model: Any) -> int:
    with backend.runtime.database.reading() as session:
        return int(session.scalar(select(func.count()).select_from(model)))


def age(backend: PaymentBackend, model: Any, column: str, by: timedelta) -> None:
    """Move a time of every row of `model` back by `by` (as if it happened that long ago)."""
    with backend.runtime.database.transaction() as session:
        for row in session.scalars(select(model)).all():
            setattr(row, column, getattr(row, column) - by)


@contextmanager
def timing_out(backend: PaymentBackend, code: str, verb: str) -> Iterator[None]:
    """The vendor's `verb` (approve, cancel) acts at the gateway, then reports a timeout."""
    vendor = backend.runtime.vendors.get(code)
    real = getattr(vendor, verb)

    def act_then_time_out(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)
        raise GatewayTimeout("the gateway did not answer in time", vendor=code)

    setattr(vendor, verb, act_then_time_out)
    try:
        yield
    finally:
        delattr(vendor, verb)


@contextmanager
def webhooks_lost(fake: Any) -> Iterator[None]:
    """The gateway's webhooks of what happens inside never reach the server."""
    target, fake.webhook_url = fake.webhook_url, None  # the fake's own sink
    try:
        yield
        assert fake.drain_webhooks(5)
    finally:
        fake.webhook_url = target


def command(gateways: Gateways, *args: str) -> Result:
    """`payment-service ARGS` in this process, on the backend's database and fakes."""
    env = {
        "PAYMENT_MODE": "local",
        "PAYMENT_DATABASE_URL": gateways.backend.database_url or "",
        "PAYMENT_VENDORS": json.dumps(gateways.backend.fakes.vendor_options()),
    }
    return run_cli(*args, env=env, cwd=gateways.workdir)


def register(gateways: Gateways, code: str, uid: str, amount: int, order_id: str) -> PaymentHistory:
    """Register a payment made at the gateway for order `order_id` (its source id)."""
    store = STORES.get(code, f"test-{code}-store")
    return gateways.client.histories.create(
        vendor={"code": code, "store_id": store, "uid": uid},
        source={"schema": "shop", "table": "orders", "id": order_id},
        price=amount,
        password=PASSWORD,
        webhook_url=gateways.receiver.url,
    )

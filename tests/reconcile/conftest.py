"""Reconciliation end to end: the payment server and both fakes on free ports (SQLite and
PostgreSQL), a webhook receiver, and `payment-service reconcile` run against the same
database and fakes (in this process; one test runs it as a subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from payment_service.client import PaymentClient, PaymentHistory
from payment_service.testing import PaymentBackend, WebhookReceiver
from tests.support.backends import ENVIRON, client, receiver
from tests.support.cli import Result, run_cli

__all__ = ["client", "receiver"]  # fixtures of this package

PASSWORD = "some-password"
STORES = {"iamport": "test-iamport-store", "toss.payments": "test-toss-store"}
VENDORS = ["iamport", "toss.payments"]


@pytest.fixture
def backend(database_url: str) -> Iterator[PaymentBackend]:
    """A backend of this test only: reconciliation lists everything the fakes hold, so these
    tests cannot share the fakes as the end-to-end tests do."""
    with PaymentBackend(database_url, environ=ENVIRON) as backend:
        yield backend


@dataclass
class Gateways:
    """The customer's and the merchant console's side of both fakes, and the command."""

    backend: PaymentBackend
    client: PaymentClient
    receiver: WebhookReceiver
    workdir: Path

    def pay(self, code: str, amount: int, order_id: str | None = None) -> str:
        """A payment made at the gateway (paid), not registered here: its uid."""
        order_id = order_id or str(uuid.uuid4())
        if code == "iamport":
            return str(self.backend.iamport.pay_by_card(amount, order_id)["imp_uid"])
        return str(self.backend.toss.pay_by_card(amount, order_id)["paymentKey"])

    def register(self, code: str, amount: int) -> PaymentHistory:
        """A payment made by a customer and registered by the service (as in production)."""
        order_id = str(uuid.uuid4())
        if code == "iamport":
            uid = self.backend.customer.pay_iamport_card(amount, order_id)
        else:
            uid = self.backend.customer.pay_toss_card(amount, order_id)
        return self.client.histories.create(
            vendor={"code": code, "store_id": STORES[code], "uid": uid},
            source={"schema": "shop", "table": "orders", "id": order_id},
            price=amount,
            password=PASSWORD,
            webhook_url=self.receiver.url,
        )

    def refund_in_console(self, code: str, uid: str, amount: int) -> None:
        """A refund made at the gateway directly, whose webhook never reaches the server."""
        fake = self.backend.iamport if code == "iamport" else self.backend.toss
        target = fake.webhook_url
        fake.webhook_url = None  # the fake's own sink: the server hears nothing
        try:
            if code == "iamport":
                fake.cancel(uid, amount)
            else:
                fake.cancel(uid, amount=amount)
            assert fake.drain_webhooks(5)
        finally:
            fake.webhook_url = target

    def gateway_payment(self, code: str, uid: str) -> dict[str, Any]:
        fake = self.backend.iamport if code == "iamport" else self.backend.toss
        payment: dict[str, Any] = fake.payment(uid)
        return payment

    def reconcile(
        self,
        code: str,
        *args: str,
        window: timedelta = timedelta(hours=6),
        in_subprocess: bool = False,
    ) -> Result:
        now = datetime.now(UTC)
        since, until = (now - window).isoformat(), (now + timedelta(minutes=5)).isoformat()
        arguments = ("--vendor", code, "--since", since, "--until", until, *args)
        return self.run(*arguments, in_subprocess=in_subprocess)

    def run(
        self,
        *args: str,
        vendors: dict[str, Any] | None = None,
        database_url: str | None = None,
        in_subprocess: bool = False,
    ) -> Result:
        """`payment-service reconcile ARGS` with the backend's database and fakes.

        In this process by default (the command's own code, through click's runner, in a
        working directory without a `.env`): a subprocess would spend most of each test on
        starting Python. `in_subprocess` runs the installed entry point instead."""
        env = {
            "PAYMENT_MODE": "local",
            "PAYMENT_DATABASE_URL": database_url or self.backend.database_url or "",
            "PAYMENT_VENDORS": json.dumps(vendors or self.backend.fakes.vendor_options()),
        }
        if in_subprocess:
            return self._run_subprocess(args, env)
        return run_cli("reconcile", *args, env=env, cwd=self.workdir)

    def _run_subprocess(self, args: tuple[str, ...], env: dict[str, str]) -> Result:
        environ = {k: v for k, v in os.environ.items() if not k.startswith("PAYMENT_")}
        environ.update(env)
        done = subprocess.run(
            [sys.executable, "-m", "payment_service.cli", "reconcile", *args],
            cwd=self.workdir,
            env=environ,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return Result(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def gateways(
    backend: PaymentBackend, client: PaymentClient, receiver: WebhookReceiver, tmp_path: Path
) -> Gateways:
    if backend.database_url is None:
        raise AssertionError("the reconcile command needs the backend's database URL")
    return Gateways(backend, client, receiver, tmp_path)


def amount(value: Any) -> Decimal:
    return Decimal(str(value))

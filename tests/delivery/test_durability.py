"""Delivery survives crashes and shares work between processes without sending a row twice
at the same time. These run real `payment-service` processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections import defaultdict

from flask import request
from sqlalchemy import func, select

from payment_service.app import create_runtime
from payment_service.commandline import port_problem
from payment_service.db import PaymentHistoryWebhook
from payment_service.testing import WebhookReceiver
from tests.support.servers import free_port, wait_for_health, wait_until

from .conftest import FAST, delivery_settings, seed

COMMAND = [sys.executable, "-m", "payment_service.cli"]


def environment(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYMENT_")}
    env.update(FAST)
    env["PAYMENT_DATABASE_URL"] = database_url
    env.update(extra)
    return env


def statuses(runtime) -> dict[str, int]:
    row = PaymentHistoryWebhook
    with runtime.database.transaction() as session:
        grouped = session.execute(select(row.status, func.count()).group_by(row.status))
        return dict(grouped.all())


def test_pending_webhooks_are_delivered_after_the_server_is_killed(database_url):
    runtime = create_runtime(delivery_settings(database_url))
    keys = runtime.settings.keys.connection
    env = environment(database_url, PAYMENT_WEBHOOK_LEASE_S="1", PAYMENT_WORKERS="1")
    with WebhookReceiver(keys.key, keys.iv) as receiver:
        receiver.delay_s = 5  # deliveries are in flight when the server dies
        ids = [row[0] for row in seed(runtime, receiver.url, payments=5)]
        port = free_port()
        command = [*COMMAND, "serve", "--port", str(port), "--workers", "1"]
        server = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, text=True, start_new_session=True
        )
        try:
            wait_for_health(f"http://127.0.0.1:{port}", server)
            receiver.wait_for_attempts(1, timeout=20)
        finally:
            # kill -9 of the whole service: master and workers, mid-delivery.
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
        with runtime.database.transaction() as session:
            claimed = session.scalar(
                select(func.count()).where(PaymentHistoryWebhook.claimed_until.is_not(None))
            )
        assert claimed >= 1  # rows the dead process held, to be reclaimed after their lease
        assert statuses(runtime).get("delivered", 0) == 0
        receiver.delay_s = 0
        wait_until(lambda: port_problem("127.0.0.1", port) is None, timeout=30)
        restarted = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
        try:
            wait_until(lambda: statuses(runtime).get("delivered") == 5, timeout=30)
        finally:
            restarted.terminate()
            restarted.wait(timeout=20)
        assert {w.id for w in receiver.received} == set(ids)
    runtime.close()


class ConcurrencyReceiver(WebhookReceiver):
    """Notes every time a webhook arrives while the same webhook is still being received."""

    def __init__(self, key: str, iv: str):
        super().__init__(key, iv)
        self.in_flight: dict[str, int] = defaultdict(int)
        self.overlaps: list[str] = []
        self.lock = threading.Lock()
        plain = self._receive

        def tracked():
            webhook_id = request.headers.get("Webhook-Id", "")
            with self.lock:
                if self.in_flight[webhook_id]:
                    self.overlaps.append(webhook_id)
                self.in_flight[webhook_id] += 1
            try:
                return plain()
            finally:
                with self.lock:
                    self.in_flight[webhook_id] -= 1

        self.app.view_functions["webhook"] = tracked


# 30 payments of 10 changes each: enough that both processes claim rows of the same payments
# side by side on 2 cores, while the whole run stays a few seconds.
PAYMENTS, EVENTS = 30, 10
WEBHOOKS = PAYMENTS * EVENTS


def test_two_delivery_processes_share_300_webhooks_without_overlap_or_loss(database_url):
    secret = "two-process-test-secret"  # signed, so the receiver sees each webhook's id
    runtime = create_runtime(delivery_settings(database_url, PAYMENT_WEBHOOK_SIGNING_SECRET=secret))
    keys = runtime.settings.keys.connection
    receiver = ConcurrencyReceiver(keys.key, keys.iv).start()
    receiver.delay_s = 0.002
    try:
        ids = seed(runtime, receiver.url, payments=PAYMENTS, events=EVENTS)
        env = environment(
            database_url,
            PAYMENT_WEBHOOK_SIGNING_SECRET=secret,
            PAYMENT_WEBHOOK_WORKERS="4",
            PAYMENT_WEBHOOK_POLL_S="0.02",
        )
        command = [*COMMAND, "webhooks", "deliver", "--until-idle"]
        processes = [
            subprocess.Popen(
                command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
            for _ in range(2)
        ]
        shares = []
        for process in processes:
            output, errors = process.communicate(timeout=240)
            assert process.returncode == 0, errors
            shares.append(int(output.split("attempted ")[1].split()[0]))
        assert statuses(runtime) == {"delivered": WEBHOOKS}
        assert receiver.overlaps == []
        received = [w.id for w in receiver.received]
        assert len(received) == WEBHOOKS and set(received) == {i for row in ids for i in row}
        # Each payment's changes arrived in the order they happened.
        by_history: dict[str, list[int]] = defaultdict(list)
        for webhook in receiver.received:
            by_history[webhook.current.id].append(webhook.current.refund)
        assert all(order == list(range(1, EVENTS + 1)) for order in by_history.values())
        # Both processes took part, and no delivery was attempted twice.
        assert all(share > 0 for share in shares)
        assert sum(shares) == WEBHOOKS
    finally:
        receiver.stop()
        runtime.close()

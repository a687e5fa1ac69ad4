"""Outgoing webhooks: retries with backoff, the deadline, replay, order, leases, signatures."""

from __future__ import annotations

import json
import random
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from payment_service.client import decode_webhook, verify_webhook_signature
from payment_service.db import PaymentHistoryWebhook, PaymentHistoryWebhookResponse
from payment_service.delivery.dispatcher import Dispatcher, backoff
from payment_service.testing import WebhookReceiver
from tests.support.cli import run_cli
from tests.support.servers import wait_until

from .conftest import deliver_one, delivery_settings, seed


def webhook_row(runtime, webhook_id: str) -> PaymentHistoryWebhook:
    with runtime.database.transaction() as session:
        return session.get(PaymentHistoryWebhook, webhook_id)


def responses(runtime, webhook_id: str) -> list[PaymentHistoryWebhookResponse]:
    with runtime.database.transaction() as session:
        query = (
            select(PaymentHistoryWebhookResponse)
            .where(PaymentHistoryWebhookResponse.payment_history_webhook_id == webhook_id)
            .order_by(PaymentHistoryWebhookResponse.created_at)
        )
        return list(session.scalars(query))


@pytest.fixture
def dispatcher(runtime):
    dispatcher = Dispatcher(runtime)
    runtime.outbox_written = dispatcher.wake
    yield dispatcher
    dispatcher.stop()


def test_a_receiver_that_fails_n_times_gets_the_event_once_after_n_plus_1_attempts(
    runtime, receiver, dispatcher
):
    receiver.fail_next(3, status=503)
    [[webhook_id]] = seed(runtime, receiver.url)
    dispatcher.start()
    wait_until(lambda: webhook_row(runtime, webhook_id).status == "delivered")
    assert receiver.attempts == 4
    assert len(receiver.received) == 1
    assert receiver.received[0].id == webhook_id
    row = webhook_row(runtime, webhook_id)
    assert row.attempts == 4 and row.delivered_at is not None and row.last_error is None
    attempts = responses(runtime, webhook_id)
    assert [a.status for a in attempts] == [503, 503, 503, 201]
    assert [a.body for a in attempts[:3]] == ["try again later"] * 3
    assert [a.error for a in attempts] == ["HTTP 503"] * 3 + [None]
    assert all(a.duration_ms is not None and a.duration_ms >= 0 for a in attempts)


@pytest.mark.realtime  # a failed row must stay quiet for a while of real time
def test_a_receiver_down_past_the_deadline_leaves_a_failed_row_that_retry_delivers(
    database_url, receiver
):
    from payment_service.app import create_runtime

    runtime = create_runtime(delivery_settings(database_url, PAYMENT_WEBHOOK_DEADLINE_S="0.4"))
    port = receiver.url.split(":")[2].split("/")[0]
    receiver.stop()  # connection refused from now on
    [[webhook_id]] = seed(runtime, receiver.url)
    dispatcher = Dispatcher(runtime).start()
    try:
        wait_until(lambda: webhook_row(runtime, webhook_id).status == "failed")
        attempts = responses(runtime, webhook_id)
        assert len(attempts) >= 2
        assert all(a.status is None and a.body is None for a in attempts)
        assert all("ConnectionRefusedError" in a.error for a in attempts)
        time.sleep(0.3)
        assert len(responses(runtime, webhook_id)) == len(attempts)  # failed rows rest

        with WebhookReceiver(receiver.key, receiver.iv, port=int(port)) as back:
            env = {"PAYMENT_DATABASE_URL": database_url}
            result = run_cli("webhooks", "retry", "--failed", env=env)
            assert result.status == 0, result.stderr
            assert result.stdout.strip() == "requeued 1 webhook(s)"
            dispatcher.wake()
            back.wait_for(lambda w: w.id == webhook_id)
            wait_until(lambda: webhook_row(runtime, webhook_id).status == "delivered")
    finally:
        dispatcher.stop()
        runtime.close()


def test_webhooks_list_shows_rows_by_status(database_url, runtime, receiver):
    [[first], [second]] = seed(runtime, receiver.url, payments=2)
    Dispatcher(runtime).deliver(first)

    def listing(*args: str) -> str:
        result = run_cli("webhooks", "list", *args, env={"PAYMENT_DATABASE_URL": database_url})
        assert result.status == 0, result.stderr
        return result.stdout

    assert first in listing("--status", "delivered")
    assert second not in listing("--status", "delivered")
    assert second in listing("--status", "pending")
    assert first in listing() and second in listing()

    # Each line names the webhook's payment and where it goes.
    with runtime.database.transaction() as session:
        rows = {
            w: session.get(PaymentHistoryWebhook, w).payment_history_id for w in (first, second)
        }
    lines = {line.split()[0]: line.split() for line in listing().splitlines()[1:]}
    for webhook, payment in rows.items():
        assert lines[webhook][4:6] == [payment, receiver.url]
    assert listing().splitlines()[0].split()[4:6] == ["payment", "receiver"]


def test_webhooks_list_never_shows_a_receivers_credentials(database_url, runtime, receiver):
    """A URL stored before registration refused credentials is listed without them."""
    secret_url = receiver.url.replace("http://", "http://app:hunter2@")
    [[webhook]] = seed(runtime, secret_url)
    result = run_cli("webhooks", "list", env={"PAYMENT_DATABASE_URL": database_url})
    assert result.status == 0, result.stderr
    assert "hunter2" not in result.stdout
    assert f"{webhook}  pending" in result.stdout and f"  {receiver.url}  " in result.stdout


def test_retry_of_an_unknown_id_fails_clearly(database_url, runtime):
    result = run_cli("webhooks", "retry", "nope", env={"PAYMENT_DATABASE_URL": database_url})
    assert result.status == 1
    assert result.stderr.strip() == "payment-service: No webhook nope."


def test_a_payment_s_webhooks_arrive_in_order_even_when_one_needs_retries(
    runtime, receiver, dispatcher
):
    receiver.fail_next(2)
    [ids] = seed(runtime, receiver.url, events=4)
    dispatcher.start()
    receiver.wait_for_count(4)
    assert [w.id for w in receiver.received] == ids
    assert [w.current.refund for w in receiver.received] == [1, 2, 3, 4]


def test_a_newer_row_is_not_due_while_an_older_one_of_the_same_payment_is_pending(
    runtime, receiver
):
    [[older, newer]] = seed(runtime, receiver.url, events=2)
    [[other]] = seed(runtime, receiver.url)
    claimed = Dispatcher(runtime).claim(10)
    assert older in claimed and other in claimed
    assert newer not in claimed


def test_a_claim_is_exclusive_until_its_lease_runs_out(runtime, receiver):
    [[webhook_id]] = seed(runtime, receiver.url)
    first, second = Dispatcher(runtime, name="first"), Dispatcher(runtime, name="second")
    assert first.claim(10) == [webhook_id]
    assert second.claim(10) == []
    # The first dispatcher dies; once its lease has run out, another one takes the row over.
    later = runtime.clock() + timedelta(seconds=runtime.settings.webhooks.lease_s + 1)
    runtime.clock = lambda: later
    assert second.claim(10) == [webhook_id]
    assert webhook_row(runtime, webhook_id).claimed_by == "second"


def test_the_body_is_the_original_s_encrypted_payload(runtime, receiver):
    [[webhook_id]] = seed(runtime, receiver.url)
    Dispatcher(runtime).run_once()
    (headers,) = receiver.headers
    assert headers["Content-Type"] == "text/plain"
    assert "Webhook-Signature" not in headers
    webhook = receiver.received[0]
    assert list(webhook.raw) == ["id", "source", "previous", "current"]
    assert webhook.id == webhook_id
    assert (webhook.source.schema, webhook.source.table) == ("shop", "orders")  # as seeded


def test_signed_webhooks_verify_with_the_sdk(database_url):
    secret = "whsec_" + "c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seQ=="
    delivered = deliver_one(database_url, PAYMENT_WEBHOOK_SIGNING_SECRET=secret)
    headers, body = delivered.headers, delivered.body
    assert headers["Webhook-Id"] == delivered.webhook_id
    verify_webhook_signature(secret, headers, body)
    assert decode_webhook(body, delivered.key, delivered.iv).id == delivered.webhook_id
    with pytest.raises(Exception, match="signature"):
        verify_webhook_signature("whsec_b3RoZXI=", headers, body)


def test_backoff_grows_exponentially_with_jitter_and_a_cap():
    rng = random.Random(7)
    for attempts in range(1, 12):
        full = min(100.0, 2.0 * 2 ** (attempts - 1))
        for _ in range(20):
            delay = backoff(attempts, 2.0, 100.0, rng)
            assert full / 2 <= delay <= full
    samples = {round(backoff(3, 2.0, 100.0, rng), 6) for _ in range(10)}
    assert len(samples) > 1  # jittered


def test_default_schedule_retries_for_about_three_days():
    from payment_service.settings import WebhookDelivery

    config = WebhookDelivery()
    assert config.deadline_s == 3 * 24 * 3600
    longest = sum(min(config.retry_max_s, config.retry_base_s * 2**n) for n in range(30))
    assert longest > config.deadline_s  # attempts continue until the deadline


def test_monitor_counts_webhooks_by_state(database_url, receiver):
    from payment_service.app import create_app
    from payment_service.crypto import Cipher

    app = create_app(delivery_settings(database_url))
    runtime = app.extensions["payment_service"]
    try:
        [[first], [_second]] = seed(runtime, receiver.url, payments=2)
        Dispatcher(runtime).deliver(first)
        response = app.test_client().get("/monitors/webhooks")
        keys = runtime.settings.keys.connection
        counts = json.loads(Cipher(keys.key, keys.iv).decrypt(response.data))
        assert counts["pending"] == 1 and counts["delivered"] == 1 and counts["failed"] == 0
        assert counts["oldest_pending_at"].endswith("Z")
    finally:
        runtime.close()

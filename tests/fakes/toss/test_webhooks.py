"""Outgoing webhooks (docs/fake-toss.md §10): triggers, body, delivery, no deadlock."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
import requests

from fake_servers.toss import FakeToss
from tests.support.threads import on_threads

from .support import Json, Receiver, TossClient, basic

UNREACHABLE = "http://127.0.0.1:9/unreachable"


def status_changed(payment: Json, status: str) -> Json:
    ids = {key: payment[key] for key in ("paymentKey", "orderId")}
    return {"eventType": "PAYMENT_STATUS_CHANGED", "data": {**ids, "status": status}}


def test_webhooks_reach_a_real_receiver(
    client: TossClient, fake: FakeToss, receiver: Receiver
) -> None:
    fake.webhook_url = receiver.url + "?source=toss"
    payment = client.virtual_account(10000)
    client.deposit(payment["paymentKey"])
    client.expect(client.cancel(payment["paymentKey"], cancelAmount=4000), 201)
    client.expect(client.cancel(payment["paymentKey"]), 201)

    assert receiver.wait_for(4)
    assert receiver.bodies == [
        status_changed(payment, "WAITING_FOR_DEPOSIT"),
        status_changed(payment, "DONE"),
        status_changed(payment, "PARTIAL_CANCELED"),
        status_changed(payment, "CANCELED"),
    ]
    # Compact JSON, the query string kept, no credentials of any kind.
    assert receiver.raw[0] == json.dumps(receiver.bodies[0], separators=(",", ":")).encode()
    assert receiver.paths == ["/hooks/toss?source=toss"] * 4
    for headers in receiver.headers:
        assert headers["Content-Type"] == "application/json"
        assert "Authorization" not in headers


def test_only_three_operations_send_webhooks(
    client: TossClient, fake: FakeToss, receiver: Receiver
) -> None:
    fake.webhook_url = receiver.url
    card = client.key_in(1000, __approved=False)
    client.approve(card)
    billing = client.register_billing()
    charged = client.pay_billing(billing["billingKey"])
    receipt = client.expect(client.issue_receipt(charged), 201)
    client.post(f"/v1/cash-receipts/{receipt['receiptKey']}/cancel", {})
    assert client.cancel(card["paymentKey"], cancelAmount=5000).status_code == 422
    assert client.put(f"/internal/{card['paymentKey']}/deposit").status_code == 422
    assert fake.drain_webhooks()

    assert receiver.bodies == []
    assert fake.last_webhook(card["paymentKey"]) is None
    assert fake.last_webhook(charged["paymentKey"]) is None


def test_last_webhook_is_recorded_before_the_answer(client: TossClient, fake: FakeToss) -> None:
    fake.webhook_url = UNREACHABLE
    payment = client.virtual_account(1000)
    assert fake.last_webhook(payment["paymentKey"]) == status_changed(
        payment, "WAITING_FOR_DEPOSIT"
    )
    client.deposit(payment["paymentKey"])
    assert fake.last_webhook(payment["paymentKey"]) == status_changed(payment, "DONE")


def test_failed_delivery_changes_nothing(
    client: TossClient, fake: FakeToss, receiver: Receiver
) -> None:
    fake.webhook_url = UNREACHABLE
    payment = client.virtual_account(1000)
    assert fake.drain_webhooks()
    # Later webhooks still leave; nothing was retried or kept back.
    fake.webhook_url = receiver.url
    client.deposit(payment["paymentKey"])

    assert receiver.wait_for(1)
    assert receiver.bodies == [status_changed(payment, "DONE")]
    assert client.payment(payment["paymentKey"])["status"] == "DONE"


@pytest.mark.realtime  # a receiver that really blocks
def test_answer_does_not_wait_for_a_slow_receiver(
    client: TossClient, fake: FakeToss, receiver: Receiver
) -> None:
    release = threading.Event()
    receiver.reset(react=lambda body: release.wait(5))
    fake.webhook_url = receiver.url

    started = time.monotonic()
    payment = client.virtual_account(1000)
    elapsed = time.monotonic() - started
    release.set()

    assert receiver.wait_for(1)
    assert elapsed < 2
    assert payment["status"] == "WAITING_FOR_DEPOSIT"


def test_receiver_calling_back_into_the_fake_does_not_deadlock(
    client: TossClient, fake: FakeToss, receiver: Receiver
) -> None:
    def look_up(body: dict[str, Any]) -> Any:
        # What a payment server does: re-read the payment before answering the webhook.
        key = body["data"]["paymentKey"]
        response = requests.get(
            f"{fake.url}/v1/payments/{key}", headers={"Authorization": basic()}, timeout=5
        )
        return response.status_code, response.json()["status"]

    receiver.reset(react=look_up)
    fake.webhook_url = receiver.url
    payment = client.virtual_account(1000)
    client.deposit(payment["paymentKey"])
    client.expect(client.cancel(payment["paymentKey"], cancelAmount=100), 201)

    assert receiver.wait_for(3, timeout=10)
    assert all(code == 200 for code, _ in receiver.reactions)
    assert receiver.reactions[-1] == (200, "PARTIAL_CANCELED")


def test_webhook_url_can_change_at_any_time(
    client: TossClient, fake: FakeToss, receiver: Receiver
) -> None:
    fake.webhook_url = receiver.url + "/one"
    one = client.virtual_account(1000)
    fake.webhook_url = receiver.url + "/two"
    two = client.virtual_account(2000)

    assert receiver.wait_for(2)
    assert receiver.paths == ["/hooks/toss/one?", "/hooks/toss/two?"]
    assert receiver.bodies == [
        status_changed(one, "WAITING_FOR_DEPOSIT"),
        status_changed(two, "WAITING_FOR_DEPOSIT"),
    ]


def test_concurrent_cancels_announce_in_order(
    client: TossClient, fake: FakeToss, receiver: Receiver
) -> None:
    fake.webhook_url = receiver.url
    payment = client.key_in(10000)

    def cancel() -> None:
        TossClient(fake.url).cancel(payment["paymentKey"], cancelAmount=1000)

    on_threads(10, cancel)

    assert receiver.wait_for(10)
    statuses = [body["data"]["status"] for body in receiver.bodies]
    assert statuses == ["PARTIAL_CANCELED"] * 9 + ["CANCELED"]

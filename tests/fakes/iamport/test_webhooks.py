"""Webhook delivery: targets, body, background sending, and callbacks into the fake."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from fake_servers.iamport import FakeIamport

from .helpers import REFUND_ACCOUNT, IamportClient, new_uid, onetime_body, refund_body, vbank_body
from .receiver import Channel, Receiver


@pytest.fixture(scope="module")
def receivers() -> Iterator[Receiver]:
    running = Receiver().start()
    yield running
    running.stop()


@pytest.fixture
def receiver(receivers: Receiver) -> Channel:
    return receivers.channel()


def test_webhook_goes_to_the_notice_url_as_compact_json(
    api: IamportClient, receiver: Channel
) -> None:
    payment = api.ok("POST", "/subscribe/payments/onetime", onetime_body(notice_url=receiver.url))
    [delivery] = receiver.wait_for(1)
    assert delivery["body"] == (
        f'{{"imp_uid":"{payment["imp_uid"]}","merchant_uid":"{payment["merchant_uid"]}",'
        '"status":"paid"}'
    )
    assert delivery["content_type"] == "application/json"
    assert delivery["authorization"] is None
    # The notice_url is kept for webhooks but never shown.
    assert "notice_url" not in payment
    assert "notice_url" not in api.ok("GET", f"/payments/{payment['imp_uid']}")


def test_later_events_follow_the_payments_notice_url(
    api: IamportClient, fake: FakeIamport, receivers: Receiver, receiver: Channel
) -> None:
    other = receivers.channel()
    fake.webhook_url = other.url
    vbank = fake.issue_vbank(40_000, new_uid(), notice_url=receiver.url)
    api.ok("PUT", "/vbanks", {"imp_uid": vbank["imp_uid"], "amount": 30_000})
    api.request("PUT", f"/internal/deposit/{vbank['imp_uid']}")
    fake.cancel(vbank["imp_uid"], 30_000, **REFUND_ACCOUNT)
    statuses = [delivery["json"]["status"] for delivery in receiver.wait_for(4)]
    assert statuses == ["ready", "ready", "paid", "cancelled"]
    assert fake.drain_webhooks()
    assert other.received == []


def test_without_notice_url_the_current_webhook_url_is_used(
    api: IamportClient, fake: FakeIamport, receivers: Receiver, receiver: Channel
) -> None:
    fake.webhook_url = receiver.url
    payment = api.ok("POST", "/subscribe/payments/onetime", onetime_body())
    later = receivers.channel()
    fake.webhook_url = later.url
    fake.cancel(payment["imp_uid"], 1_000)
    [delivery] = later.wait_for(1)
    assert delivery["json"]["status"] == "paid"
    [first] = receiver.wait_for(1)
    assert first["json"]["imp_uid"] == payment["imp_uid"]


def test_default_target_is_the_fakes_own_sink(fake: FakeIamport) -> None:
    assert fake.webhook_url == f"{fake.url}/internal/webhook"
    assert FakeIamport(webhook_url="http://elsewhere/hook").webhook_url == "http://elsewhere/hook"


def test_webhook_is_sent_after_the_request_not_inside_it(
    api: IamportClient, receiver: Channel
) -> None:
    release = threading.Event()
    receiver.on_webhook = lambda _: release.wait(10)
    # The receiver holds the webhook until released; the payment is answered meanwhile.
    started = time.monotonic()
    payment = api.ok("POST", "/subscribe/payments/onetime", onetime_body(notice_url=receiver.url))
    assert time.monotonic() - started < 2
    assert receiver.received == []
    release.set()
    assert receiver.wait_for(1)[0]["json"]["imp_uid"] == payment["imp_uid"]


def test_receiver_calling_back_into_the_fake_does_not_deadlock(
    api: IamportClient, fake: FakeIamport, receiver: Channel
) -> None:
    seen: list[tuple[int, str]] = []

    def look_up(delivery: dict[str, Any]) -> None:
        # What a payment server does: re-read the payment while handling its webhook.
        headers = {"Authorization": fake.issue_token()}
        imp_uid = delivery["json"]["imp_uid"]
        reply = requests.get(f"{fake.url}/payments/{imp_uid}", headers=headers, timeout=5)
        seen.append((reply.status_code, reply.json()["response"]["status"]))

    receiver.on_webhook = look_up
    fake.webhook_url = receiver.url
    started = time.monotonic()
    payment = api.ok("POST", "/subscribe/payments/onetime", onetime_body())
    api.ok("POST", "/payments/cancel", refund_body(payment))
    receiver.wait_for(2)
    assert time.monotonic() - started < 2
    assert seen[0][0] == 200
    assert seen[-1] == (200, "cancelled")


@pytest.mark.parametrize("target", ["failing", "closed", "not a url"])
def test_delivery_failures_are_ignored(
    api: IamportClient, fake: FakeIamport, receivers: Receiver, target: str
) -> None:
    failing = receivers.channel(status=500)
    urls = {"failing": failing.url, "closed": "http://127.0.0.1:9/hook", "not a url": "nowhere"}
    # Virtual accounts take any notice_url, as the original's input type has no format.
    vbank = api.ok("POST", "/vbanks", vbank_body(notice_url=urls[target]))
    assert fake.drain_webhooks()
    # Recorded all the same, and the fake keeps answering.
    assert fake.webhooks_for(vbank["imp_uid"])[0]["status"] == "ready"
    assert api.ok("GET", f"/payments/{vbank['imp_uid']}")["status"] == "ready"
    if target == "failing":
        assert len(failing.wait_for(1)) == 1


def test_notice_url_must_be_a_uri_on_card_payments(api: IamportClient) -> None:
    body = api.error(400, "POST", "/subscribe/payments/onetime", onetime_body(notice_url="x"))
    assert body["path"] == "$input.notice_url"


def test_last_webhook_is_the_latest_of_the_most_recently_first_notified_payment(
    fake: FakeIamport,
) -> None:
    first = fake.pay_by_card(1_000, new_uid())
    second = fake.pay_by_card(1_000, new_uid())
    fake.cancel(first["imp_uid"])
    # The first payment's newer webhook does not make it "last": the original keeps key order.
    assert fake.last_webhook() == {
        "imp_uid": second["imp_uid"],
        "merchant_uid": second["merchant_uid"],
        "status": "paid",
    }
    assert [hook["status"] for hook in fake.webhooks_for(first["imp_uid"])] == [
        "paid",
        "cancelled",
    ]


def test_webhooks_are_not_sent_for_cards_certifications_or_receipts(
    api: IamportClient, fake: FakeIamport
) -> None:
    fake.register_card(new_uid())
    fake.request_certification()
    assert fake.last_webhook() is None
    payment = fake.pay_by_card(1_000, new_uid())
    api.ok("POST", f"/receipts/{payment['imp_uid']}", {"imp_uid": "x", "identifier": "y"})
    assert len(fake.webhooks_for(payment["imp_uid"])) == 1

"""Payments made in the fakes' checkout windows, registered with payment-service exactly as the
payments the fakes' APIs make: approved at the gateway, recorded, and followed by webhooks
(on SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid

import pytest
import requests
from sqlalchemy import func, select

from payment_service.client import NotFound, Unprocessable
from payment_service.db import PaymentHistory, PaymentHistoryClaim
from payment_service.testing import PaymentBackend
from tests.checkout.windows import AMOUNT, GATEWAY_IDS, GATEWAYS, Gateway, checkout

PASSWORD = "a-secret-only-the-shop-knows"
STORE = "window-tests"


@pytest.fixture(params=GATEWAYS, ids=GATEWAY_IDS)
def gateway(request: pytest.FixtureRequest) -> Gateway:
    return request.param


def new_source() -> dict[str, str]:
    return {"schema": "shop", "table": "orders", "id": str(uuid.uuid4())}


def register(client, gateway: Gateway, uid: str, source: dict[str, str], webhook_url: str):
    return client.histories.create(
        vendor={"code": gateway.code, "store_id": STORE, "uid": uid},
        source=source,
        price=AMOUNT,
        password=PASSWORD,
        webhook_url=webhook_url,
    )


def rows(backend: PaymentBackend, model) -> int:
    with backend.runtime.database.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(model)))


def test_a_card_payment_of_the_window_is_approved_recorded_and_followed(
    backend, client, receiver, gateway
):
    fake = getattr(backend, gateway.name)
    source = new_source()
    done = checkout(fake.url, gateway.request(source["id"]), "pay-card")
    uid = gateway.uid(done["result"])

    history = register(client, gateway, uid, source, receiver.url)
    assert (history.vendor.code, history.vendor.uid) == (gateway.code, uid)
    assert history.price == AMOUNT and history.refund is None
    assert history.paid_at is not None
    assert client.histories.get(source=source, password=PASSWORD) == history

    client.histories.cancel(source=source, password=PASSWORD, price=5000, reason="one is broken")
    webhook = receiver.wait_for(lambda w: w.current.refund == 5000)
    assert webhook.source.id == source["id"] and webhook.previous.refund is None


def test_a_virtual_account_of_the_window_is_recorded_then_paid_in_at_the_bank(
    backend, client, receiver, gateway
):
    fake = getattr(backend, gateway.name)
    source = new_source()
    done = checkout(fake.url, gateway.request(source["id"]), "issue-vbank")
    uid = gateway.uid(done["result"])
    history = register(client, gateway, uid, source, receiver.url)
    assert history.paid_at is None and history.price == AMOUNT

    deposited = requests.post(f"{fake.url}/checkout/bank/{uid}", timeout=10, allow_redirects=False)
    assert deposited.status_code == 303

    # The gateway's webhook reaches payment-service, which tells the shop.
    webhook = receiver.wait_for(lambda w: w.current.paid_at is not None)
    assert webhook.previous.paid_at is None
    assert client.histories.get(source=source, password=PASSWORD).paid_at == webhook.current.paid_at


@pytest.mark.parametrize("outcome", ["decline", "cancel"])
@pytest.mark.parametrize("name", ["iamport", "portone"])
def test_a_payment_the_window_did_not_take_is_refused_and_nothing_is_kept(
    backend, client, receiver, name, outcome
):
    """iamport and PortOne keep the failed attempt, and give its id to the page: a shop that
    registers it anyway is refused. (Toss keeps nothing and gives no paymentKey.)"""
    gateway = next(each for each in GATEWAYS if each.name == name)
    fake = getattr(backend, name)
    source = new_source()
    done = checkout(fake.url, gateway.request(source["id"]), outcome)
    uid = gateway.uid(done["result"])
    with pytest.raises(Unprocessable) as refused:
        register(client, gateway, uid, source, receiver.url)
    assert "cannot be approved" in refused.value.message
    with pytest.raises(NotFound):
        client.histories.get(source=source, password=PASSWORD)
    assert rows(backend, PaymentHistory) == 0
    assert rows(backend, PaymentHistoryClaim) == 0

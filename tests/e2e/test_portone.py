"""PortOne V2 end to end: the payment API, the portone plugin and the fake PortOne over HTTP,
with signed webhooks both ways — on SQLite and on PostgreSQL (`database_url`).

The same flows as the other gateways (card, partial and full refunds, virtual account with its
deposit webhook, billing key), plus what is PortOne's own: the approval check of a payment the
browser already approved, and signature checks of inbound webhooks.
"""

from __future__ import annotations

import json
import time
import uuid
from decimal import Decimal

import pytest
import requests

from fake_servers.portone import DEFAULT_WEBHOOK_SECRET
from fake_servers.portone.signing import headers as signed_headers
from payment_service.client import NotFound, Unprocessable
from payment_service.db import PaymentHistory

from .conftest import PASSWORD, Flow, new_source
from .test_scenarios import validate_cancel, validate_cancel_partial

STORE = "test-portone-store"
CODE = "portone"
ACCOUNT = dict(bank="신한은행", account="110-123-456789", holder="홍길동", mobile="010-1234-5678")


def new_payment_id() -> str:
    return f"payment-{uuid.uuid4()}"


def card_flow(backend, client, receiver, price: int = 20000) -> Flow:
    source = new_source()
    flow = Flow(backend, client, receiver, CODE, STORE, Decimal(price), source)
    flow.uid = backend.customer.pay_portone_card(price, new_payment_id(), source["id"])
    return flow


def vbank_flow(backend, client, receiver) -> Flow:
    source = new_source()
    flow = Flow(backend, client, receiver, CODE, STORE, Decimal(19900), source)
    flow.uid = backend.customer.issue_portone_virtual_account(19900, new_payment_id(), source["id"])
    flow.account = ACCOUNT
    return flow


def test_card_payment(backend, client, receiver):
    flow = card_flow(backend, client, receiver)
    created = flow.create()
    assert created.vendor_code == CODE
    assert (created.vendor.uid, created.vendor.store_id) == (flow.uid, STORE)
    assert created.currency == "KRW" and created.price == Decimal(20000)
    assert created.paid_at is not None
    assert created.cancels == () and created.refund is None and created.cancelled_at is None
    assert created.data["id"] == flow.uid and created.data["status"] == "PAID"
    assert client.histories.at(created.id, password=PASSWORD).raw == created.raw
    assert flow.reload().raw == created.raw


def test_card_payment_cancel(backend, client, receiver):
    flow = card_flow(backend, client, receiver)
    validate_cancel(flow, flow.create())
    assert backend.portone.payment(flow.uid)["status"] == "CANCELLED"


def test_card_payment_cancel_partial(backend, client, receiver):
    flow = card_flow(backend, client, receiver)
    validate_cancel_partial(flow, flow.create())
    payment = backend.portone.payment(flow.uid)
    assert payment["status"] == "CANCELLED"
    assert [c["totalAmount"] for c in payment["cancellations"]] == [4000] * 5


def test_vbank_payment_deposit_sends_a_webhook(backend, client, receiver):
    flow = vbank_flow(backend, client, receiver)
    created = flow.create()
    assert created.paid_at is None and created.data["status"] == "VIRTUAL_ACCOUNT_ISSUED"
    backend.customer.deposit_portone_virtual_account(flow.uid)
    webhook = flow.webhook_with(created.id, paid=True)
    assert webhook.previous.paid_at is None and webhook.current.paid_at is not None
    reloaded = flow.reload()
    assert reloaded.paid_at is not None and reloaded.data["status"] == "PAID"


def test_vbank_payment_cancel_goes_to_the_refund_account(backend, client, receiver):
    flow = vbank_flow(backend, client, receiver)
    created = flow.create()
    backend.customer.deposit_portone_virtual_account(flow.uid)
    flow.webhook_with(created.id, paid=True)
    validate_cancel_partial(flow, flow.reload())
    assert backend.portone.payment(flow.uid)["method"]["refundStatus"] == "COMPLETED"


def test_vbank_cancel_without_a_refund_account_is_refused_and_records_nothing(
    backend, client, receiver
):
    flow = vbank_flow(backend, client, receiver)
    created = flow.create()
    backend.customer.deposit_portone_virtual_account(flow.uid)
    flow.webhook_with(created.id, paid=True)
    flow.account = None
    with pytest.raises(Exception) as refused:
        flow.cancel(1000)
    assert refused.value.status == 400
    assert "refundAccount" in refused.value.message
    assert flow.reload().refund is None
    assert backend.portone.payment(flow.uid)["status"] == "PAID"


def test_billing_key_reservation_then_payment_with_it(backend, client, receiver):
    customer_id = str(uuid.uuid4())
    billing_key = backend.customer.register_portone_billing(customer_id)
    source = {"schema": "some-schema", "table": "some-table", "id": customer_id}
    reservation = client.reservations.create(
        vendor={"code": CODE, "store_id": STORE, "uid": billing_key},
        source=source,
        title="monthly plan",
        password=PASSWORD,
    )
    assert reservation.data["billingKey"] == billing_key
    assert reservation.data["status"] == "ISSUED"
    assert client.reservations.get(source=source, password=PASSWORD).raw == reservation.raw
    # The merchant's server charges the billing key at PortOne, then registers the payment.
    order = new_source()
    flow = Flow(backend, client, receiver, CODE, STORE, Decimal(9900), order)
    flow.uid = new_payment_id()
    backend.portone.pay_with_billing_key(flow.uid, billing_key, 9900)
    created = flow.create()
    assert created.paid_at is not None and created.data["billingKey"] == billing_key
    validate_cancel(flow, created)


def test_billing_key_of_another_customer_is_refused(backend, client):
    billing_key = backend.customer.register_portone_billing("someone-else")
    source = {"schema": "some-schema", "table": "some-table", "id": str(uuid.uuid4())}
    with pytest.raises(Unprocessable):
        client.reservations.create(
            vendor={"code": CODE, "store_id": STORE, "uid": billing_key},
            source=source,
            title="t",
            password=PASSWORD,
        )


def count_histories(backend) -> int:
    with backend.runtime.database.transaction() as session:
        return session.query(PaymentHistory).filter_by(vendor_code=CODE).count()


def test_wrong_amount_is_422_and_the_paid_payment_is_cancelled(backend, client, receiver):
    flow = card_flow(backend, client, receiver)
    before = count_histories(backend)
    with pytest.raises(Unprocessable) as caught:
        flow.create(price=Decimal(10000))
    assert caught.value.body["cancelled"] is True
    assert caught.value.body["mismatch"] == "amount"
    assert backend.portone.payment(flow.uid)["status"] == "CANCELLED"
    assert count_histories(backend) == before
    with pytest.raises(NotFound):
        flow.reload()


def test_payment_of_another_order_is_refused_and_left_alone(backend, client, receiver):
    flow = card_flow(backend, client, receiver)
    flow.source = new_source()  # another order than the one in customData
    with pytest.raises(Unprocessable) as caught:
        flow.create()
    assert caught.value.body["cancelled"] is False
    assert caught.value.body["mismatch"] == "order"
    assert backend.portone.payment(flow.uid)["status"] == "PAID"


def test_waiting_virtual_account_of_the_wrong_amount_is_refused_not_cancelled(
    backend, client, receiver
):
    flow = vbank_flow(backend, client, receiver)
    with pytest.raises(Unprocessable) as caught:
        flow.create(price=Decimal(20000))
    assert caught.value.body["cancelled"] is False
    assert backend.portone.payment(flow.uid)["status"] == "VIRTUAL_ACCOUNT_ISSUED"


def test_cancelled_payment_cannot_be_registered(backend, client, receiver):
    flow = card_flow(backend, client, receiver)
    backend.portone.cancel(flow.uid)
    with pytest.raises(Unprocessable) as caught:
        flow.create()
    assert caught.value.body["mismatch"] == "status"


def test_unknown_payment_id_passes_portones_404_through(backend, client, receiver):
    flow = Flow(backend, client, receiver, CODE, STORE, Decimal(1000), new_source())
    flow.uid = new_payment_id()
    with pytest.raises(NotFound):
        flow.create()


# ---- inbound webhooks --------------------------------------------------------------------


def post_webhook(backend, body: dict, headers: dict[str, str]) -> requests.Response:
    return requests.post(
        f"{backend.url}/payments/webhooks/portone",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **headers},
        timeout=10,
    )


def signed(body: dict, secret: str = DEFAULT_WEBHOOK_SECRET, at: int | None = None) -> dict:
    raw = json.dumps(body).encode()
    return signed_headers(secret, f"msg_{uuid.uuid4().hex}", at or int(time.time()), raw)


def paid_event(payment_id: str) -> dict:
    data = {"paymentId": payment_id, "storeId": "store-x", "transactionId": "tx"}
    return {"type": "Transaction.Paid", "timestamp": "2024-01-01T00:00:00Z", "data": data}


def test_unsigned_and_badly_signed_webhooks_are_401_and_change_nothing(backend, client, receiver):
    flow = card_flow(backend, client, receiver)
    created = flow.create()
    # Refunded in PortOne's console; its own webhook is held back, ours are posted below.
    backend.portone.cancel(flow.uid, amount=5000, reason="in the console", skip_webhook=True)
    body = paid_event(flow.uid)
    body["type"] = "Transaction.PartialCancelled"
    forged = "whsec_" + "QUJD" * 8
    for headers in (
        {},
        signed(body, secret=forged),
        signed(body, at=int(time.time()) - 3600),
        {**signed(body), "webhook-signature": "v1,AAAA"},
    ):
        answer = post_webhook(backend, body, headers)
        assert answer.status_code == 401, headers
        assert answer.json()["statusCode"] == 401
    # Nothing was re-fetched: the history still shows no refund.
    assert flow.reload().raw == created.raw
    answer = post_webhook(backend, body, signed(body))
    assert answer.status_code == 201
    webhook = flow.webhook_with(created.id, refund=Decimal(5000))
    assert webhook.previous.refund is None
    assert flow.reload().refund == Decimal(5000)


def test_signed_webhooks_that_change_nothing_are_acknowledged(backend, client, receiver):
    unknown = paid_event(new_payment_id())
    answer = post_webhook(backend, unknown, signed(unknown))
    # The same empty 201 for a payment this server does not hold: no existence oracle.
    assert answer.status_code == 201
    assert "X-Webhook-Outcome" not in answer.headers
    billing = {"type": "BillingKey.Issued", "timestamp": "t", "data": {"billingKey": "b"}}
    answer = post_webhook(backend, billing, signed(billing))
    assert answer.status_code == 201
    assert answer.content == b""
    malformed = {"type": "Transaction.Paid", "data": {}}
    assert post_webhook(backend, malformed, signed(malformed)).status_code == 400


def test_the_plugin_is_listed_by_the_monitor(backend):
    answer = requests.get(f"{backend.url}/monitors/plugins", timeout=10)
    listed = backend.settings.keys.connection.decrypt_json(answer.text)
    portone = next(item for item in listed if item["code"] == CODE)
    assert portone["webhook"] == "/payments/webhooks/portone"
    assert portone["distribution"] == "payment-vendor-portone"
    assert portone["version"] == "0.2.0"

"""The official PortOne server SDK (`portone-server-sdk`, pinned in setup.cfg) pointed at the
fake: it drives every route the fake implements, its own types parse every answer and error,
and its webhook verifier accepts the fake's signatures. This is the proof of wire compatibility.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask, request

from fake_servers.common.server import ServerThread
from fake_servers.portone import DEFAULT_WEBHOOK_SECRET, FakePortOne

portone = pytest.importorskip("portone_server_sdk")
from portone_server_sdk import errors, webhook  # noqa: E402
from portone_server_sdk.payment import (  # noqa: E402
    CancelledPayment,
    PaidPayment,
    PartialCancelledPayment,
    VirtualAccountIssuedPayment,
)


@pytest.fixture
def client(fake: FakePortOne) -> portone.PaymentClient:
    return portone.PaymentClient(secret=fake.api_secret, base_url=fake.url)


@pytest.fixture
def store_client(fake: FakePortOne) -> portone.PaymentClient:
    return portone.PaymentClient(secret=fake.api_secret, base_url=fake.url, store_id=fake.store_id)


def new_id() -> str:
    return f"payment-{uuid.uuid4()}"


def test_get_payment_parses_a_paid_card_payment(fake, store_client):
    payment_id = new_id()
    fake.pay_by_card(payment_id, 20000, custom_data='{"orderId":"order-1"}')
    payment = store_client.get_payment(payment_id=payment_id)
    assert isinstance(payment, PaidPayment)
    assert payment.id == payment_id
    assert payment.amount.total == 20000 and payment.amount.paid == 20000
    assert payment.currency == "KRW"
    assert payment.custom_data == '{"orderId":"order-1"}'
    assert payment.store_id == fake.store_id
    assert isinstance(payment.method, portone.payment.PaymentMethodCard)
    assert payment.paid_at


def test_get_payment_of_a_virtual_account_then_deposit(fake, client):
    payment_id = new_id()
    fake.issue_virtual_account(payment_id, 19900)
    issued = client.get_payment(payment_id=payment_id)
    assert isinstance(issued, VirtualAccountIssuedPayment)
    assert isinstance(issued.method, portone.payment.PaymentMethodVirtualAccount)
    assert issued.method.bank == "SHINHAN" and issued.method.account_number
    assert issued.amount.paid == 0
    fake.deposit(payment_id)
    paid = client.get_payment(payment_id=payment_id)
    assert isinstance(paid, PaidPayment) and paid.amount.paid == 19900


def test_errors_are_the_sdk_exception_types(fake, client):
    with pytest.raises(errors.PaymentNotFoundError):
        client.get_payment(payment_id="no-such-payment")
    wrong = portone.PaymentClient(secret="wrong-secret", base_url=fake.url)
    with pytest.raises(errors.UnauthorizedError):
        wrong.get_payment(payment_id="anything")
    # A payment of another store is not found for a client scoped to that store.
    payment_id = new_id()
    fake.pay_by_card(payment_id, 1000)
    other = portone.PaymentClient(secret=fake.api_secret, base_url=fake.url, store_id="store-x")
    with pytest.raises(errors.PaymentNotFoundError):
        other.get_payment(payment_id=payment_id)


def test_partial_then_full_cancel(fake, client):
    payment_id = new_id()
    fake.pay_by_card(payment_id, 10000)
    first = client.cancel_payment(payment_id=payment_id, amount=3000, reason="one item")
    assert first.cancellation.total_amount == 3000
    assert isinstance(first.cancellation, portone.payment.SucceededPaymentCancellation)
    partial = client.get_payment(payment_id=payment_id)
    assert isinstance(partial, PartialCancelledPayment)
    assert partial.amount.cancelled == 3000
    with pytest.raises(errors.CancelAmountExceedsCancellableAmountError):
        client.cancel_payment(payment_id=payment_id, amount=7001, reason="too much")
    with pytest.raises(errors.CancellableAmountConsistencyBrokenError):
        client.cancel_payment(
            payment_id=payment_id, reason="stale", current_cancellable_amount=10000
        )
    rest = client.cancel_payment(payment_id=payment_id, reason="the rest")
    assert rest.cancellation.total_amount == 7000
    cancelled = client.get_payment(payment_id=payment_id)
    assert isinstance(cancelled, CancelledPayment)
    assert [c.total_amount for c in cancelled.cancellations] == [3000, 7000]
    assert cancelled.cancelled_at
    with pytest.raises(errors.PaymentAlreadyCancelledError):
        client.cancel_payment(payment_id=payment_id, reason="again")
    with pytest.raises(errors.PaymentNotFoundError):
        client.cancel_payment(payment_id="no-such-payment", reason="x")


def test_virtual_account_cancel_needs_a_refund_account(fake, client):
    payment_id = new_id()
    fake.issue_virtual_account(payment_id, 19900)
    with pytest.raises(errors.PaymentNotPaidError):
        client.cancel_payment(payment_id=payment_id, reason="not paid yet")
    fake.deposit(payment_id)
    with pytest.raises(errors.InvalidRequestError):
        client.cancel_payment(payment_id=payment_id, reason="no account")
    account = portone.payment.CancelPaymentBodyRefundAccount(
        bank="SHINHAN", number="110123456789", holder_name="홍길동"
    )
    done = client.cancel_payment(payment_id=payment_id, reason="refund", refund_account=account)
    assert done.cancellation.total_amount == 19900
    cancelled = client.get_payment(payment_id=payment_id)
    assert isinstance(cancelled, CancelledPayment)
    assert cancelled.method.refund_status == "COMPLETED"


def test_list_payments_with_filters_and_pages(fake, client):
    ids = [new_id() for _ in range(5)]
    for n, payment_id in enumerate(ids):
        if n % 2:
            fake.issue_virtual_account(payment_id, 1000 + n)
        else:
            fake.pay_by_card(payment_id, 1000 + n)
    page = portone.common.PageInput(number=0, size=2)
    filter = portone.payment.PaymentFilterInput(sort_order="ASC", sort_by="REQUESTED_AT")
    first = client.get_payments(page=page, filter=filter)
    assert [p.id for p in first.items] == ids[:2]
    assert first.page.total_count == 5 and first.page.size == 2
    second = client.get_payments(page=portone.common.PageInput(number=2, size=2), filter=filter)
    assert [p.id for p in second.items] == ids[4:]
    paid = client.get_payments(
        filter=portone.payment.PaymentFilterInput(status=["PAID"], sort_order="ASC")
    )
    assert [p.id for p in paid.items] == ids[0::2]
    cards = client.get_payments(filter=portone.payment.PaymentFilterInput(methods=["CARD"]))
    assert {p.id for p in cards.items} == set(ids[0::2])
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    none = client.get_payments(filter=portone.payment.PaymentFilterInput(from_=future))
    assert none.items == [] and none.page.total_count == 0
    with pytest.raises(errors.InvalidRequestError):
        client.get_payments(filter=portone.payment.PaymentFilterInput(from_="yesterday"))


def test_list_every_payment_by_cursor(fake, store_client):
    ids = [new_id() for _ in range(3)]
    for payment_id in ids:
        fake.pay_by_card(payment_id, 500)
    seen = []
    cursor = None
    while True:
        answer = store_client.get_all_payments_by_cursor(cursor=cursor, size=2)
        if not answer.items:
            break
        seen += [item.payment.id for item in answer.items]
        cursor = answer.items[-1].cursor
    assert seen == ids


def test_billing_key_issue_get_pay_delete(fake, store_client):
    keys = portone.BillingKeyClient(
        secret=fake.api_secret, base_url=fake.url, store_id=fake.store_id
    )
    credential = portone.common.CardCredential(
        number="1111222233334444", expiry_year="28", expiry_month="12"
    )
    method = portone.payment.billing_key.InstantBillingKeyPaymentMethodInput(
        card=portone.payment.billing_key.InstantBillingKeyPaymentMethodInputCard(
            credential=credential
        )
    )
    customer = portone.common.CustomerInput(id="customer-1")
    issued = keys.issue_billing_key(method=method, customer=customer)
    billing_key = issued.billing_key_info.billing_key
    info = keys.get_billing_key_info(billing_key=billing_key)
    assert isinstance(info, portone.payment.billing_key.IssuedBillingKeyInfo)
    assert info.customer.id == "customer-1"
    assert isinstance(info.methods[0], portone.payment.billing_key.BillingKeyPaymentMethodCard)

    payment_id = new_id()
    paid = store_client.pay_with_billing_key(
        payment_id=payment_id,
        billing_key=billing_key,
        order_name="monthly",
        amount=portone.common.PaymentAmountInput(total=9900),
        currency="KRW",
    )
    assert paid.payment.pg_tx_id and paid.payment.paid_at
    payment = store_client.get_payment(payment_id=payment_id)
    assert isinstance(payment, PaidPayment)
    assert payment.billing_key == billing_key and payment.amount.total == 9900
    with pytest.raises(errors.AlreadyPaidError):
        store_client.pay_with_billing_key(
            payment_id=payment_id,
            billing_key=billing_key,
            order_name="again",
            amount=portone.common.PaymentAmountInput(total=9900),
            currency="KRW",
        )
    with pytest.raises(errors.BillingKeyNotFoundError):
        keys.get_billing_key_info(billing_key="billing-key-unknown")
    with pytest.raises(errors.InvalidRequestError):
        bad = portone.common.CardCredential(number="12", expiry_year="28", expiry_month="12")
        keys.issue_billing_key(
            method=portone.payment.billing_key.InstantBillingKeyPaymentMethodInput(
                card=portone.payment.billing_key.InstantBillingKeyPaymentMethodInputCard(
                    credential=bad
                )
            )
        )
    deleted = keys.delete_billing_key(billing_key=billing_key)
    assert deleted.deleted_at
    assert isinstance(
        keys.get_billing_key_info(billing_key=billing_key),
        portone.payment.billing_key.DeletedBillingKeyInfo,
    )
    with pytest.raises(errors.BillingKeyAlreadyDeletedError):
        keys.delete_billing_key(billing_key=billing_key)
    with pytest.raises(errors.BillingKeyAlreadyDeletedError):
        store_client.pay_with_billing_key(
            payment_id=new_id(),
            billing_key=billing_key,
            order_name="after delete",
            amount=portone.common.PaymentAmountInput(total=9900),
            currency="KRW",
        )


def test_login_via_api_secret_gives_a_bearer_token(fake):
    auth = portone.AuthClient(secret=fake.api_secret, base_url=fake.url)
    tokens = auth.login_via_api_secret(api_secret=fake.api_secret)
    assert tokens.access_token and tokens.refresh_token
    with pytest.raises(errors.UnauthorizedError):
        auth.login_via_api_secret(api_secret="wrong")


class SignedSink:
    """A merchant's webhook endpoint: keeps each request's raw body and headers."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.arrived = threading.Condition()
        app = Flask(__name__)

        @app.post("/hook")
        def hook() -> tuple[str, int]:
            with self.arrived:
                self.requests.append((request.get_data(as_text=True), dict(request.headers)))
                self.arrived.notify_all()
            return "", 200

        self.server = ServerThread(app, quiet=True)

    def wait(self, count: int) -> list[tuple[str, dict[str, str]]]:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.requests) >= count, timeout=10)
            return list(self.requests)


@pytest.fixture
def sink(fake: FakePortOne) -> Iterator[SignedSink]:
    sink = SignedSink()
    with sink.server:
        fake.webhook_url = f"{sink.server.url}/hook"
        yield sink


def lower(headers: dict[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def test_the_sdk_verifier_accepts_every_webhook_the_fake_signs(fake, client, sink):
    card, account = new_id(), new_id()
    fake.pay_by_card(card, 10000)
    client.cancel_payment(payment_id=card, amount=4000, reason="part")
    client.cancel_payment(payment_id=card, reason="rest")
    fake.issue_virtual_account(account, 5000)
    fake.deposit(account)
    fake.issue_billing_key(customer_id="customer-2")
    received = sink.wait(6)
    kinds = []
    for body, headers in received:
        verified = webhook.verify(DEFAULT_WEBHOOK_SECRET, body, lower(headers))
        assert not isinstance(verified, dict), f"the SDK could not type {body}"
        kinds.append(type(verified).__name__)
        assert json.loads(body)["timestamp"]
    assert kinds == [
        "WebhookTransactionPaid",
        "WebhookTransactionCancelledPartialCancelled",
        "WebhookTransactionCancelledCancelled",
        "WebhookTransactionVirtualAccountIssued",
        "WebhookTransactionPaid",
        "WebhookBillingKeyIssued",
    ]
    paid = webhook.verify(DEFAULT_WEBHOOK_SECRET, received[0][0], lower(received[0][1]))
    assert paid.data.payment_id == card and paid.data.store_id == fake.store_id


def test_the_sdk_verifier_refuses_tampering_and_other_secrets(fake, sink):
    fake.pay_by_card(new_id(), 1000)
    body, headers = sink.wait(1)[0]
    headers = lower(headers)
    with pytest.raises(webhook.WebhookVerificationError):
        webhook.verify(DEFAULT_WEBHOOK_SECRET, body.replace(fake.store_id, "store-forged"), headers)
    with pytest.raises(webhook.WebhookVerificationError):
        webhook.verify("whsec_" + "QUJD" * 8, body, headers)
    stale = dict(headers, **{"webhook-timestamp": str(int(headers["webhook-timestamp"]) - 600)})
    with pytest.raises(webhook.WebhookVerificationError):
        webhook.verify(DEFAULT_WEBHOOK_SECRET, body, stale)

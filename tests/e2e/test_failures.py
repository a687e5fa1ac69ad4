"""The failure paths of the payment API, end to end: every refusal is a clear 4xx/5xx with a
JSON message, changes nothing, and never leaves a gateway payment without a record."""

from __future__ import annotations

import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest
import requests
from sqlalchemy import select

from payment_service.api.internal import received
from payment_service.client import (
    BadRequest,
    Conflict,
    Forbidden,
    GatewayError,
    NotFound,
    PaymentClient,
    PaymentError,
    Unprocessable,
)
from payment_service.crypto import Cipher, DecryptionError
from payment_service.db import (
    AuthFailure,
    PaymentHistory,
    PaymentHistoryCancel,
    PaymentHistoryClaim,
    PaymentHistoryWebhook,
    PaymentReservation,
)
from payment_service.db.places import place
from payment_service.vendors import GatewayTimeout
from tests.support.servers import wait_until
from tests.support.threads import on_threads

from .conftest import (
    IAMPORT_STORE,
    PASSWORD,
    TOSS_STORE,
    count,
    create_body,
    iamport_create,
    new_source,
    nothing_written,
    send_encrypted,
    send_text,
    toss_create,
)


@pytest.fixture
def paid(backend, client, receiver):
    """A registered 20,000 KRW Toss card payment."""
    source = new_source()
    uid = backend.customer.pay_toss_card(20000, source["id"])
    return toss_create(client, receiver, uid, source), source


# -- look-ups -----------------------------------------------------------------------------


def test_wrong_password_is_403_on_every_lookup(client, paid):
    history, source = paid
    for call in (
        lambda: client.histories.get(source=source, password="wrong"),
        lambda: client.histories.at(history.id, password="wrong"),
        lambda: client.histories.cancel(source=source, password="wrong", price=1, reason="r"),
    ):
        with pytest.raises(Forbidden) as caught:
            call()
        assert caught.value.body == {
            "message": "Wrong password.",
            "error": "Forbidden",
            "statusCode": 403,
        }


def test_unknown_records_are_404(client):
    with pytest.raises(NotFound):
        client.histories.at(str(uuid.uuid4()), password=PASSWORD)
    with pytest.raises(NotFound):
        client.histories.get(source=new_source(), password=PASSWORD)
    with pytest.raises(NotFound):
        client.histories.cancel(source=new_source(), password=PASSWORD, price=1, reason="r")
    with pytest.raises(NotFound):
        client.reservations.at(str(uuid.uuid4()), password=PASSWORD)
    with pytest.raises(NotFound):
        client.reservations.get(source=new_source(), password=PASSWORD)


def test_reservation_wrong_password_is_403(backend, client):
    customer = str(uuid.uuid4())
    backend.customer.register_iamport_card(customer)
    source = {"schema": "s", "table": "t", "id": customer}
    created = client.reservations.create(
        vendor={"code": "iamport", "store_id": IAMPORT_STORE, "uid": customer},
        source=source,
        title="t",
        password=PASSWORD,
    )
    with pytest.raises(Forbidden):
        client.reservations.at(created.id, password="nope")
    with pytest.raises(Forbidden):
        client.reservations.get(source=source, password="nope")
    with pytest.raises(Conflict):
        client.reservations.create(
            vendor={"code": "iamport", "store_id": IAMPORT_STORE, "uid": customer},
            source=source,
            title="t",
            password=PASSWORD,
        )
    assert count(backend, PaymentReservation) == 1


def test_id_that_is_not_a_uuid_is_the_originals_400(backend):
    response = send_encrypted(
        backend, "PATCH", "/payments/histories/not-a-uuid", '{"password":"x"}'
    )
    assert response.status_code == 400
    assert response.json()["message"] == 'Invalid URL parameter value on "id".'
    assert response.json()["value"] == "not-a-uuid"


# -- creation -----------------------------------------------------------------------------


def test_duplicate_source_is_409_before_the_gateway_is_asked(backend, client, receiver, paid):
    _, source = paid
    other = backend.customer.pay_toss_card(20000, source["id"])
    with pytest.raises(Conflict) as caught:
        toss_create(client, receiver, other, source)
    assert "source" in caught.value.message
    # The second payment was never approved: the duplicate was refused before Toss saw it.
    assert backend.toss.payment(other)["status"] == "IN_PROGRESS"
    assert count(backend, PaymentHistory) == 1
    assert count(backend, PaymentHistoryClaim) == 0  # the duplicate's claim was rolled back


def test_duplicate_vendor_uid_is_409(backend, client, receiver, paid):
    history, _ = paid
    with pytest.raises(Conflict) as caught:
        toss_create(client, receiver, history.vendor.uid, new_source())
    assert "vendor uid" in caught.value.message
    assert count(backend, PaymentHistory) == 1


def test_iamport_wrong_amount_is_422_and_the_payment_ends_cancelled(backend, client, receiver):
    source = new_source()
    uid = backend.customer.pay_iamport_card(19000, source["id"])
    with pytest.raises(Unprocessable) as caught:
        iamport_create(client, receiver, uid, source, price=20000)
    assert caught.value.body["cancelled"] is True
    payment = backend.iamport.payment(uid)
    assert payment["status"] == "cancelled"
    assert payment["cancel_amount"] == 19000
    assert nothing_written(backend)


def test_toss_wrong_amount_is_refused_by_toss_and_nothing_is_approved(backend, client, receiver):
    source = new_source()
    uid = backend.customer.pay_toss_card(19000, source["id"])
    with pytest.raises(PaymentError) as caught:
        toss_create(client, receiver, uid, source, price=20000)
    assert caught.value.status == 422
    assert backend.toss.payment(uid)["status"] == "IN_PROGRESS"
    assert nothing_written(backend)


def test_iamport_payment_of_another_order_is_refused_and_left_alone(backend, client, receiver):
    uid = backend.customer.pay_iamport_card(20000, str(uuid.uuid4()))
    with pytest.raises(Unprocessable) as caught:
        iamport_create(client, receiver, uid, new_source())
    assert caught.value.body["cancelled"] is False
    assert backend.iamport.payment(uid)["status"] == "paid"
    assert nothing_written(backend)


def test_unknown_vendor_is_400(backend, client, receiver):
    with pytest.raises(BadRequest) as caught:
        client.histories.create(
            vendor={"code": "nowhere-pay", "store_id": "s", "uid": "u"},
            source=new_source(),
            price=1000,
            password=PASSWORD,
            webhook_url=receiver.url,
        )
    assert caught.value.message == "Unknown vendor."
    assert nothing_written(backend)


def test_unknown_payment_at_the_gateway_passes_its_404_through(backend, client, receiver):
    with pytest.raises(NotFound) as caught:
        toss_create(client, receiver, "no-such-payment-key", new_source())
    assert "no-such-payment-key" in caught.value.message
    assert caught.value.body["vendor"] == "toss.payments"
    assert nothing_written(backend)


def test_gateway_down_is_503_and_the_request_can_be_retried(backend, client, receiver):
    source = new_source()
    uid = backend.customer.pay_toss_card(20000, source["id"])
    backend.toss.stop()
    try:
        with pytest.raises(GatewayError) as caught:
            toss_create(client, receiver, uid, source)
        assert caught.value.status == 503
        assert "cannot be reached" in caught.value.message
        assert nothing_written(backend)
    finally:
        backend.toss.start()
    assert toss_create(client, receiver, uid, source).paid_at is not None


def test_timeout_keeps_the_claim_so_the_same_request_can_finish(
    backend, client, receiver, paid_uid_and_source
):
    uid, source = paid_uid_and_source
    vendor = backend.runtime.vendors.get("toss.payments")
    real_approve = vendor.approve
    calls: list[int] = []

    def approve_then_time_out(*args, **kwargs):
        calls.append(1)
        real_approve(*args, **kwargs)
        raise GatewayTimeout("Toss did not answer in time.", vendor=vendor.code)

    vendor.approve = approve_then_time_out
    try:
        with pytest.raises(GatewayError) as caught:
            toss_create(client, receiver, uid, source)
        assert caught.value.status == 504
    finally:
        del vendor.approve
    # The approval happened at Toss; a retry within the claim window is refused as in flight…
    with pytest.raises(Conflict):
        toss_create(client, receiver, uid, source)
    # …and once the claim is old, the same request takes it over and records the payment.
    with backend.runtime.database.transaction() as session:
        claim = session.scalars(select(PaymentHistoryClaim)).one()
        assert session.scalars(select(PaymentHistory)).all() == []
        claim.created_at = claim.created_at.replace(year=claim.created_at.year - 1)
    history = toss_create(client, receiver, uid, source)
    assert history.data["status"] == "DONE"
    assert count(backend, PaymentHistory) == 1
    assert count(backend, PaymentHistoryClaim) == 0


def test_taking_over_a_claim_goes_through_the_password_checks(
    backend, client, receiver, paid_uid_and_source
):
    """Issue 24 item 15: a takeover checks the claim's password like any check: each wrong
    one is counted for the client and the claim, 429 past the limit, and the payment's
    webhooks stay where the owner said."""
    uid, source = paid_uid_and_source
    vendor = backend.runtime.vendors.get("toss.payments")
    real_approve = vendor.approve

    def approve_then_time_out(*args, **kwargs):
        real_approve(*args, **kwargs)
        raise GatewayTimeout("Toss did not answer in time.", vendor=vendor.code)

    vendor.approve = approve_then_time_out
    try:
        with pytest.raises(GatewayError):
            toss_create(client, receiver, uid, source)
    finally:
        del vendor.approve
    with backend.runtime.database.transaction() as session:
        claim = session.scalars(select(PaymentHistoryClaim)).one()
        claim.created_at = claim.created_at.replace(year=claim.created_at.year - 1)
        claim_id = claim.id
    hijack = create_body(uid, source, password="a-guess", webhook_url="http://127.0.0.1:9/evil")
    limit = backend.settings.auth_failures_max
    statuses = [post_encrypted(backend, "/payments/histories", hijack).status_code]
    statuses += [
        post_encrypted(backend, "/payments/histories", hijack).status_code for _ in range(limit)
    ]
    assert statuses == [409] * limit + [429]
    with backend.runtime.database.reading() as session:
        scopes = list(session.scalars(select(AuthFailure.client)))
        assert session.get(PaymentHistoryClaim, claim_id).webhook_url == receiver.url
    assert scopes.count(f"record:{claim_id}") == limit
    # The owner's retry (its password verified when it claimed) still takes the claim over.
    history = toss_create(client, receiver, uid, source)
    assert (history.id, history.data["status"]) == (claim_id, "DONE")


def test_a_request_that_outlives_its_claim_returns_what_its_retry_recorded(
    backend, client, receiver, paid_uid_and_source
):
    """The request's approval outlasts the claim window, so its retry takes the claim over and
    records the payment first: the slow request must answer that payment, not cancel it."""
    uid, source = paid_uid_and_source
    vendor = backend.runtime.vendors.get("toss.payments")
    real_approve = vendor.approve
    approving, released = threading.Event(), threading.Event()

    def approve_slowly(*args, **kwargs):
        approved = real_approve(*args, **kwargs)
        if not approving.is_set():  # the first request only
            approving.set()
            assert released.wait(30)
        return approved

    def slow_request() -> Any:
        with PaymentClient(backend.url, backend.key, backend.iv) as own:
            return toss_create(own, receiver, uid, source)

    vendor.approve = approve_slowly
    try:
        with ThreadPoolExecutor(1) as pool:
            slow = pool.submit(slow_request)
            assert approving.wait(30)
            with backend.runtime.database.transaction() as session:
                claim = session.scalars(select(PaymentHistoryClaim)).one()
                claim.created_at = claim.created_at.replace(year=claim.created_at.year - 1)
            retried = toss_create(client, receiver, uid, source)
            released.set()
            answered = slow.result(timeout=60)
    finally:
        released.set()
        del vendor.approve
    assert answered.id == retried.id
    assert (answered.price, answered.refund, answered.data["status"]) == (20000, None, "DONE")
    assert count(backend, PaymentHistory) == 1
    assert count(backend, PaymentHistoryClaim) == 0
    assert backend.toss.payment(uid)["status"] == "DONE"  # not cancelled


def test_failure_to_record_an_approved_payment_cancels_it(backend, client, receiver, monkeypatch):
    from payment_service.payments import histories

    source = new_source()
    uid = backend.customer.pay_toss_card(20000, source["id"])

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(histories, "apply_summary", broken)
    with pytest.raises(GatewayError) as caught:
        toss_create(client, receiver, uid, source)
    assert caught.value.status == 503
    assert caught.value.body["cancelled"] is True
    assert caught.value.body["recorded"] is False
    assert backend.toss.payment(uid)["status"] == "CANCELED"
    assert nothing_written(backend)


# -- malformed input ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"source": {"schema": "s", "table": "t", "id": "not-a-uuid"}}, "$input.source.id"),
        ({"price": -1}, "$input.price"),
        ({"price": "20000"}, "$input.price"),
        ({"price": True}, "$input.price"),
        ({"webhook_url": "not a url"}, "$input.webhook_url"),
        ({"password": None}, "$input.password"),
        ({"vendor": {"code": "toss.payments", "uid": "u"}}, "$input.vendor.store_id"),
    ],
)
def test_malformed_create_is_400_naming_the_field_and_writes_nothing(
    backend, paid_uid_and_source, body, path
):
    uid, source = paid_uid_and_source
    response = post_encrypted(backend, "/payments/histories", {**create_body(uid, source), **body})
    assert response.status_code == 400
    assert response.json()["path"] == path
    assert response.json()["message"] == "Request body data is not following the promised type."
    assert nothing_written(backend)
    assert backend.toss.payment(uid)["status"] == "IN_PROGRESS"


@pytest.fixture
def paid_uid_and_source(backend):
    source = new_source()
    return backend.customer.pay_toss_card(20000, source["id"]), source


def post_encrypted(backend, path: str, body: dict, method: str = "POST") -> requests.Response:
    return send_encrypted(backend, method, path, json.dumps(body, ensure_ascii=False))


@pytest.mark.parametrize(
    "body",
    ["", "bm90IGVuY3J5cHRlZA==", "%%%", "AAAAAAAAAAAAAAAAAAAAAA==", "wrong-key", "not-json"],
)
def test_undecryptable_body_is_the_same_400_and_writes_nothing(backend, body):
    if body == "wrong-key":
        body = Cipher("0123456789abcdef", backend.iv).encrypt('{"price": 1}')
    elif body == "not-json":
        body = Cipher(backend.key, backend.iv).encrypt("price=1")
    response = send_text(backend, "POST", "/payments/histories", body)
    assert response.status_code == 400
    assert response.json() == {
        "message": "Failed to decrypt the request body. "
        "Check your body content or encryption password.",
        "error": "Bad Request",
        "statusCode": 400,
    }
    assert nothing_written(backend)


@pytest.mark.parametrize(
    ("change", "path"),
    [({"price": 0}, "$input.price"), ({"account": {"bank": "b"}}, "$input.account.account")],
)
def test_malformed_cancel_is_400_and_changes_nothing(backend, paid, change, path):
    history, source = paid
    body = {"source": source, "password": PASSWORD, "price": 1000, "reason": "r", "account": None}
    body.update(change)
    response = post_encrypted(backend, "/payments/histories/cancel", body, method="PUT")
    assert response.status_code == 400
    assert response.json()["path"] == path
    assert count(backend, PaymentHistoryCancel) == 0
    assert backend.toss.payment(history.vendor.uid)["balanceAmount"] == 20000


def test_cancel_without_the_account_key_is_400(backend, paid):
    _, source = paid
    body = {"source": source, "password": PASSWORD, "price": 1000, "reason": "r"}
    response = post_encrypted(backend, "/payments/histories/cancel", body, method="PUT")
    assert response.status_code == 400
    assert response.json()["path"] == "$input.account"
    assert "value" not in response.json()


# -- cancels ------------------------------------------------------------------------------


def test_cancel_above_the_remainder_is_422_before_the_gateway(backend, client, paid):
    history, source = paid
    client.histories.cancel(source=source, password=PASSWORD, price=15000, reason="r")
    with pytest.raises(Unprocessable) as caught:
        client.histories.cancel(source=source, password=PASSWORD, price=5001, reason="r")
    assert "refundable remainder 5000" in caught.value.message
    assert backend.toss.payment(history.vendor.uid)["balanceAmount"] == 5000
    assert client.histories.at(history.id, password=PASSWORD).refund == Decimal(15000)


def test_concurrent_cancels_never_refund_more_than_was_paid(backend, client, paid):
    history, source = paid
    outcomes: list[object] = []

    def cancel() -> None:
        try:
            client.histories.cancel(source=source, password=PASSWORD, price=8000, reason="r")
            outcomes.append("ok")
        except PaymentError as error:
            outcomes.append(error.status)

    on_threads(6, cancel)
    assert outcomes.count("ok") == 2
    assert outcomes.count(422) == 4
    reloaded = client.histories.at(history.id, password=PASSWORD)
    assert reloaded.refund == Decimal(16000)
    assert len(reloaded.cancels) == 2
    assert backend.toss.payment(history.vendor.uid)["balanceAmount"] == 4000
    assert count(backend, PaymentHistoryCancel) == 2


# -- inbound gateway webhooks -------------------------------------------------------------


def test_webhook_for_an_unknown_payment_is_acknowledged(backend):
    body = {
        "eventType": "PAYMENT_STATUS_CHANGED",
        "data": {"paymentKey": "unknown", "orderId": "o", "status": "DONE"},
    }
    response = requests.post(f"{backend.url}/payments/webhooks/toss", json=body, timeout=10)
    assert response.status_code == 201
    assert response.content == b""
    assert "X-Webhook-Outcome" not in response.headers  # no existence oracle


def test_ignorable_webhook_is_acknowledged_and_changes_nothing(backend, paid):
    body = {"eventType": "PAYOUT_STATUS_CHANGED", "data": {"payoutKey": "p"}}
    response = requests.post(f"{backend.url}/payments/webhooks/toss", json=body, timeout=10)
    assert response.status_code == 201
    assert "X-Webhook-Outcome" not in response.headers
    assert count(backend, PaymentHistoryWebhook) == 0


@pytest.mark.parametrize(
    ("route", "body", "content_type"),
    [
        ("iamport", '{"imp_uid": 3, "merchant_uid": "m", "status": "paid"}', "application/json"),
        ("iamport", "not json", "application/json"),
        ("toss", '{"data": {}}', "application/json"),
        ("toss", '{"eventType": "PAYMENT_STATUS_CHANGED"}', "text/plain"),
        ("toss", "[" * 100_000 + "]" * 100_000, "application/json"),
        ("toss", "", "application/json"),
    ],
)
def test_malformed_gateway_webhook_is_400(backend, paid, route, body, content_type):
    response = requests.post(
        f"{backend.url}/payments/webhooks/{route}",
        data=body,
        headers={"Content-Type": content_type},
        timeout=10,
    )
    assert response.status_code == 400
    assert response.json()["statusCode"] == 400
    assert count(backend, PaymentHistoryWebhook) == 0


def test_a_lying_webhook_changes_nothing(backend, paid, receiver):
    history, source = paid
    body = {
        "eventType": "PAYMENT_STATUS_CHANGED",
        "data": {"paymentKey": history.vendor.uid, "orderId": source["id"], "status": "CANCELED"},
    }
    response = requests.post(f"{backend.url}/payments/webhooks/toss", json=body, timeout=10)
    assert response.status_code == 201
    assert "X-Webhook-Outcome" not in response.headers
    assert count(backend, PaymentHistoryWebhook) == 0


def test_webhook_for_a_payment_being_registered_is_refused_for_a_later_retry(
    backend, client, receiver, paid_uid_and_source
):
    uid, source = paid_uid_and_source
    vendor = backend.runtime.vendors.get("toss.payments")
    real_approve = vendor.approve
    answers = []

    def approve_while_the_webhook_arrives(*args, **kwargs):
        body = {
            "eventType": "PAYMENT_STATUS_CHANGED",
            "data": {"paymentKey": uid, "orderId": source["id"], "status": "DONE"},
        }
        answers.append(
            requests.post(f"{backend.url}/payments/webhooks/toss", json=body, timeout=10)
        )
        return real_approve(*args, **kwargs)

    vendor.approve = approve_while_the_webhook_arrives
    try:
        toss_create(client, receiver, uid, source)
    finally:
        del vendor.approve
    assert answers[0].status_code == 409
    assert answers[0].json()["message"].startswith("This payment is being registered")
    retried = requests.post(
        f"{backend.url}/payments/webhooks/toss",
        json={
            "eventType": "PAYMENT_STATUS_CHANGED",
            "data": {"paymentKey": uid, "orderId": source["id"], "status": "DONE"},
        },
        timeout=10,
    )
    assert retried.status_code == 201


def test_webhook_whose_refetch_fails_answers_the_gateway_error(backend, paid):
    history, source = paid
    backend.toss.reset()  # Toss no longer knows the payment
    body = {
        "eventType": "PAYMENT_STATUS_CHANGED",
        "data": {"paymentKey": history.vendor.uid, "orderId": source["id"], "status": "DONE"},
    }
    response = requests.post(f"{backend.url}/payments/webhooks/toss", json=body, timeout=10)
    assert response.status_code == 404
    assert count(backend, PaymentHistoryWebhook) == 0


# -- the internal test receiver (R13) -----------------------------------------------------


def test_internal_receiver_accepts_our_webhooks(backend, client):
    source = new_source()
    uid = backend.customer.issue_toss_virtual_account(19900, source["id"])
    internal = f"{backend.url}/payments/internal/webhook"
    history = client.histories.create(
        vendor={"code": "toss.payments", "store_id": TOSS_STORE, "uid": uid},
        source=source,
        price=19900,
        password=PASSWORD,
        webhook_url=internal,
    )
    backend.customer.deposit_toss_virtual_account(uid)
    wait_until(lambda: bool(received(backend.app).list()), 10, interval=0.05)
    (webhook,) = received(backend.app).list()
    assert webhook["current"]["id"] == history.id
    assert webhook["current"]["paid_at"] is not None


# -- at rest ------------------------------------------------------------------------------


def test_payment_data_is_encrypted_at_rest_each_table_with_its_own_key(
    backend, client, receiver, paid
):
    history, source = paid
    client.histories.cancel(source=source, password=PASSWORD, price=5000, reason="r")
    receiver.wait_for(lambda w: w.current.refund == 5000)
    keys = backend.settings.keys
    with backend.runtime.database.transaction() as session:
        row = session.get(PaymentHistory, history.id)
        (cancel,) = session.scalars(select(PaymentHistoryCancel)).all()
        (webhook,) = session.scalars(select(PaymentHistoryWebhook)).all()
        stored = [row.data, cancel.data, webhook.previous, webhook.current, webhook.data]
        password = row.password
    assert not any(history.vendor.uid in text or "{" in text for text in stored)
    at = place  # (each value is bound to its table, column and row)
    assert keys.history.decrypt_json(row.data, at(row, "data"))["paymentKey"] == (
        history.vendor.uid
    )
    assert keys.cancel_history.decrypt_json(cancel.data, at(cancel, "data"))["cancelAmount"] == 5000
    assert keys.webhook.decrypt_json(webhook.current, at(webhook, "current"))["refund"] == 5000
    # The change is reported once, by whichever records it first: the cancel request, or
    # Toss's own webhook about the refund when that arrives while the cancel is under way.
    event = keys.webhook.decrypt_json(webhook.data, at(webhook, "data"))
    if "eventType" in event:
        assert event["eventType"] == "PAYMENT_STATUS_CHANGED"
        assert event["data"]["paymentKey"] == history.vendor.uid
        assert event["data"]["status"] == "PARTIAL_CANCELED"
    else:
        assert event == {"type": "cancel", "price": 5000, "reason": "r"}
    # Each table has its own key: the history key does not open the others.
    with pytest.raises(DecryptionError):
        keys.history.decrypt_json(webhook.current, at(webhook, "current"))
    assert password.startswith("$2a$10$") and PASSWORD not in password

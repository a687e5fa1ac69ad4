"""client.histories: exact requests on the wire (R4-R7) and the parsed results."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from payment_service.client import (
    BankAccount,
    PaymentClient,
    PaymentHistory,
    PaymentSource,
    PaymentVendor,
)

from .samples import HISTORY_ID, ORDER_ID, SOURCE, WEBHOOK_URL, cancelled_history, iamport_history
from .stub import Reply, StubServer
from .wire import aes_encrypt

# docs/payment-api.md §1.5 vectors: the SDK's bodies must reproduce them byte for byte.
V2_PLAINTEXT = '{"password":"some-password"}'
V2_CIPHERTEXT = "/Lu96CDAgYv09JxV0IsOQy8H7LuG9o4QJ29eZjgYjeI="
V4_CIPHERTEXT = (
    "YkffC/JtLn7rdJ9fHeffgvtpYdei1hlU+IlrjIYuYGAlbDx+eWG8j5PHMqoVeG/KqQa1M/KsJItpIBRbYFQ/ox3"
    "ny2a8P/WF3ycaiSX65uUBDJpK4NaV6uRbCw2pNa5jBGZnBt/ePrNeMFZ/Q9lfhQ4zEd26NIIL3HENov725bY="
)

CREATE_PLAINTEXT = (
    '{"vendor":{"code":"iamport","store_id":"test-iamport-create-id","uid":"imp_123"},'
    '"source":{"schema":"some-schema","table":"some-table","id":"' + ORDER_ID + '"},'
    '"price":20000,"password":"some-password","webhook_url":"' + WEBHOOK_URL + '"}'
)


def create(client: PaymentClient, **changes: object) -> PaymentHistory:
    arguments: dict[str, object] = {
        "vendor": PaymentVendor(code="iamport", uid="imp_123", store_id="test-iamport-create-id"),
        "source": PaymentSource(**SOURCE),
        "price": 20000,
        "password": "some-password",
        "webhook_url": WEBHOOK_URL,
    }
    arguments.update(changes)
    return client.histories.create(**arguments)  # type: ignore[arg-type]


def test_create_posts_the_encrypted_input_as_text_plain(client, stub: StubServer) -> None:
    stub.on("POST", "/payments/histories", Reply.encrypted(iamport_history(), 201))

    create(client)

    sent = stub.last
    assert (sent.method, sent.path) == ("POST", "/payments/histories")
    assert sent.headers["Content-Type"] == "text/plain"
    assert sent.plaintext == CREATE_PLAINTEXT
    # The body is the bare base64 ciphertext: no JSON quoting, no line breaks.
    assert sent.body == aes_encrypt(CREATE_PLAINTEXT)


def test_create_accepts_plain_dicts_like_dataclasses(client, stub: StubServer) -> None:
    stub.on("POST", "/payments/histories", Reply.encrypted(iamport_history(), 201))
    vendor = {"uid": "imp_123", "code": "iamport", "store_id": "test-iamport-create-id"}

    create(client, vendor=vendor, source={**SOURCE, "extra": "ignored"})

    assert stub.last.plaintext == CREATE_PLAINTEXT


@pytest.mark.parametrize(
    ("price", "wire"),
    [
        (20000, '"price":20000,'),
        (Decimal("20000"), '"price":20000,'),
        (Decimal("20000.00"), '"price":20000,'),
        (Decimal("2E+4"), '"price":20000,'),
        (Decimal("19900.5"), '"price":19900.5,'),
    ],
)
def test_amounts_go_out_as_exact_json_numbers(
    client, stub: StubServer, price: object, wire: str
) -> None:
    stub.on("POST", "/payments/histories", Reply.encrypted(iamport_history(), 201))

    create(client, price=price)

    assert wire in stub.last.plaintext


@pytest.mark.parametrize("price", [20000.0, True, "20000", Decimal("NaN"), Decimal("Infinity")])
def test_inexact_or_non_numeric_amounts_are_refused_before_sending(
    client, stub: StubServer, price: object
) -> None:
    with pytest.raises((TypeError, ValueError)):
        create(client, price=price)
    assert stub.requests == []


def test_a_vendor_mapping_without_store_id_is_refused(client, stub: StubServer) -> None:
    with pytest.raises(ValueError, match="vendor lacks store_id"):
        create(client, vendor={"code": "iamport", "uid": "imp_123"})
    assert stub.requests == []


def test_create_parses_the_history(client, stub: StubServer) -> None:
    stub.on("POST", "/payments/histories", Reply.encrypted(iamport_history(), 201))

    history = create(client)

    assert history.id == HISTORY_ID
    assert history.vendor_code == "iamport"
    assert history.vendor == PaymentVendor("iamport", "imp_123", "test-iamport-create-id")
    assert history.source == PaymentSource(**SOURCE)
    assert history.cancels == ()
    assert history.currency == "KRW"
    assert history.price == Decimal(20000)
    assert isinstance(history.price, Decimal)
    assert history.refund is None
    assert history.webhook_url == WEBHOOK_URL
    assert history.created_at == datetime(2024, 5, 1, 3, 4, 5, 678000, tzinfo=UTC)
    assert history.created_at.utcoffset() is not None
    assert history.paid_at == datetime(2024, 5, 1, 3, 4, 5, tzinfo=UTC)
    assert history.cancelled_at is None
    assert history.data["imp_uid"] == "imp_123"
    assert history.iamport is history.data
    assert history.toss is None
    assert history.raw == iamport_history()


def test_get_sends_source_and_password_as_spec_vector_v4(client, stub: StubServer) -> None:
    stub.on("PATCH", "/payments/histories/get", Reply.encrypted(iamport_history()))

    history = client.histories.get(source=SOURCE, password="some-password")

    assert (stub.last.method, stub.last.path) == ("PATCH", "/payments/histories/get")
    assert stub.last.headers["Content-Type"] == "text/plain"
    assert stub.last.body == V4_CIPHERTEXT
    assert history.id == HISTORY_ID


@pytest.mark.parametrize("id_", [HISTORY_ID, uuid.UUID(HISTORY_ID)])
def test_at_puts_the_id_in_the_path(client, stub: StubServer, id_: object) -> None:
    stub.on("PATCH", f"/payments/histories/{HISTORY_ID}", Reply.encrypted(iamport_history()))

    history = client.histories.at(id_, password="some-password")  # type: ignore[arg-type]

    assert stub.last.path == f"/payments/histories/{HISTORY_ID}"
    assert stub.last.plaintext == V2_PLAINTEXT
    assert stub.last.body == V2_CIPHERTEXT
    assert history.id == HISTORY_ID


def test_at_percent_encodes_the_id_like_encodeuricomponent(client, stub: StubServer) -> None:
    stub.on("PATCH", "/payments/histories/a%2Fb%3Fc%20d", Reply.encrypted(iamport_history()))

    client.histories.at("a/b?c d", password="some-password")

    assert stub.last.path == "/payments/histories/a%2Fb%3Fc%20d"


def test_cancel_without_account_sends_account_null(client, stub: StubServer) -> None:
    stub.on("PUT", "/payments/histories/cancel", Reply.encrypted(cancelled_history()))

    client.histories.cancel(
        source=SOURCE, password="some-password", price=4000, reason="some-reason"
    )

    assert (stub.last.method, stub.last.path) == ("PUT", "/payments/histories/cancel")
    assert stub.last.headers["Content-Type"] == "text/plain"
    assert stub.last.plaintext == (
        '{"source":{"schema":"some-schema","table":"some-table","id":"' + ORDER_ID + '"},'
        '"password":"some-password","price":4000,"reason":"some-reason","account":null}'
    )


@pytest.mark.parametrize(
    "account",
    [
        BankAccount(
            bank="신한은행", account="110-123-456789", holder="홍길동", mobile="010-1234-5678"
        ),
        {
            "mobile": "010-1234-5678",
            "holder": "홍길동",
            "account": "110-123-456789",
            "bank": "신한은행",
        },
    ],
)
def test_cancel_with_account_sends_it_with_raw_unicode(
    client, stub: StubServer, account: object
) -> None:
    stub.on("PUT", "/payments/histories/cancel", Reply.encrypted(cancelled_history()))

    client.histories.cancel(
        source=SOURCE,
        password="some-password",
        price=Decimal("3980"),
        reason="some-reason",
        account=account,  # type: ignore[arg-type]
    )

    assert stub.last.plaintext.endswith(
        '"price":3980,"reason":"some-reason","account":{"bank":"신한은행",'
        '"account":"110-123-456789","holder":"홍길동","mobile":"010-1234-5678"}}'
    )


def test_cancel_parses_cancels_refund_and_the_extra_time_key(client, stub: StubServer) -> None:
    stub.on("PUT", "/payments/histories/cancel", Reply.encrypted(cancelled_history()))

    history = client.histories.cancel(
        source=PaymentSource(**SOURCE), password="some-password", price=4000, reason="r"
    )

    assert history.refund == Decimal(4000)
    assert isinstance(history.refund, Decimal)
    assert history.cancelled_at == datetime(2024, 5, 1, 3, 10, 1, tzinfo=UTC)
    [cancel] = history.cancels
    assert cancel.price == Decimal(4000)
    assert cancel.reason == "some-reason"
    assert cancel.created_at == datetime(2024, 5, 1, 3, 10, 0, 123000, tzinfo=UTC)
    assert cancel.time == cancel.created_at
    assert history.iamport is not None
    assert history.iamport["status"] == "cancelled"

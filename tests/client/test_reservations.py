"""client.reservations: exact requests on the wire (R8-R10) and the parsed results."""

from __future__ import annotations

from datetime import UTC, datetime

from payment_service.client import PaymentSource, PaymentVendor

from .samples import ORDER_ID, RESERVATION_ID, SOURCE, iamport_reservation, toss_reservation
from .stub import Reply, StubServer


def test_create_posts_vendor_source_title_password(client, stub: StubServer) -> None:
    stub.on("POST", "/payments/reservations", Reply.encrypted(toss_reservation(), 201))

    reservation = client.reservations.create(
        vendor=PaymentVendor(
            code="toss.payments", uid="bk", store_id="test-toss-payments-create-id"
        ),
        source=PaymentSource(**SOURCE),
        title="some-title",
        password="some-password",
    )

    assert (stub.last.method, stub.last.path) == ("POST", "/payments/reservations")
    assert stub.last.headers["Content-Type"] == "text/plain"
    assert stub.last.plaintext == (
        '{"vendor":{"code":"toss.payments","store_id":"test-toss-payments-create-id","uid":"bk"},'
        '"source":{"schema":"some-schema","table":"some-table","id":"' + ORDER_ID + '"},'
        '"title":"some-title","password":"some-password"}'
    )
    assert reservation.id == RESERVATION_ID
    assert reservation.vendor_code == "toss.payments"
    assert reservation.vendor.uid == "bk"
    assert reservation.title == "some-title"
    assert reservation.created_at == datetime(2024, 5, 1, 3, 4, 5, 678000, tzinfo=UTC)
    assert reservation.toss is not None
    assert reservation.toss["billingKey"] == "bk"
    assert reservation.iamport is None


def test_get_sends_the_source_fields_and_password_flat(client, stub: StubServer) -> None:
    stub.on("PATCH", "/payments/reservations/get", Reply.encrypted(iamport_reservation()))

    reservation = client.reservations.get(source=SOURCE, password="some-password")

    assert (stub.last.method, stub.last.path) == ("PATCH", "/payments/reservations/get")
    assert stub.last.json == {**SOURCE, "password": "some-password"}
    assert reservation.iamport is not None
    assert reservation.iamport["customer_uid"] == ORDER_ID


def test_at_puts_the_id_in_the_path(client, stub: StubServer) -> None:
    path = f"/payments/reservations/{RESERVATION_ID}"
    stub.on("PATCH", path, Reply.encrypted(iamport_reservation()))

    reservation = client.reservations.at(RESERVATION_ID, password="some-password")

    assert (stub.last.method, stub.last.path) == ("PATCH", path)
    assert stub.last.plaintext == '{"password":"some-password"}'
    assert reservation.source == PaymentSource(**SOURCE)

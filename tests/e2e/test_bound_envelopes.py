"""At-rest values are bound to where they live (issue 24 item 8), through HTTP on SQLite and
PostgreSQL: one payment's `data` copied into another's row is refused, not shown as the other
payment's; values written before the binding (unmarked, `$ps1$`) are still read."""

from __future__ import annotations

import json

from sqlalchemy import select

from payment_service.crypto import Cipher
from payment_service.db import PaymentHistory
from payment_service.keyrings import BOUND_PREFIX
from payment_service.settings import PUBLISHED_KEYS

from .conftest import PASSWORD, new_source, send_encrypted, toss_create


def stored_data(backend, history_id: str) -> str:
    with backend.runtime.database.reading() as session:
        return session.scalar(select(PaymentHistory.data).where(PaymentHistory.id == history_id))


def set_data(backend, history_id: str, data: str) -> None:
    with backend.runtime.database.transaction() as session:
        session.get(PaymentHistory, history_id).data = data


def look_up(backend, source: dict) -> int:
    body = json.dumps({**source, "password": PASSWORD})
    return send_encrypted(backend, "PATCH", "/payments/histories/get", body).status_code


def two_payments(backend, client, receiver):
    sources = [new_source(), new_source()]
    created = [
        toss_create(client, receiver, backend.customer.pay_toss_card(20000, s["id"]), s)
        for s in sources
    ]
    return sources, created


def test_a_value_moved_to_another_row_is_refused(backend, client, receiver):
    sources, (first, second) = two_payments(backend, client, receiver)
    assert stored_data(backend, first.id).startswith(BOUND_PREFIX)
    # Someone with write access to the table copies the first payment's data over the second's.
    set_data(backend, second.id, stored_data(backend, first.id))
    assert look_up(backend, sources[1]) == 500  # refused: never the first payment's data
    assert client.histories.get(source=sources[0], password=PASSWORD).data["paymentKey"] == (
        first.vendor.uid
    )


def test_values_written_before_the_binding_are_still_read(backend, client, receiver):
    sources, (first, second) = two_payments(backend, client, receiver)
    published = Cipher(*PUBLISHED_KEYS["HISTORY"])
    history = backend.settings.keys.history
    # The original's unmarked ciphertext, and an unbound envelope of an earlier version.
    set_data(backend, first.id, published.encrypt_json({"paymentKey": "from-the-original"}))
    set_data(backend, second.id, history.encrypt_json({"paymentKey": "unbound-envelope"}))
    assert client.histories.get(source=sources[0], password=PASSWORD).data == {
        "paymentKey": "from-the-original"
    }
    assert client.histories.get(source=sources[1], password=PASSWORD).data == {
        "paymentKey": "unbound-envelope"
    }

"""rotate_keys in-process: the optimistic rewrite when a server changed a row meanwhile."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select

from payment_service.crypto import Cipher
from payment_service.db import Database, PaymentReservation
from payment_service.keyrings import AtRestKeyring, Place
from payment_service.rotation import ENCRYPTED_TABLES, TableReport, _plan, _write, rotate_keys
from payment_service.settings import Keys

OLD = Cipher("Qm7Tz2Xr9Vb4Nc1Kw6Hp3Ld8Sg5Jf0Ay", "Hs4Kd8Wm2Qz6Xt1R")
NEW = Cipher("Xd4Wq9Kz2Rm7Vt1Lb6Nc3Hp8Sg5Jf0Ey", "Kt6Wz1Xq9Rm4Vb2N")
RESERVATIONS = next(t for t in ENCRYPTED_TABLES if t.keyring == "reservation")


def add_card(database: Database, data: str) -> str:
    with database.transaction() as session:
        row = PaymentReservation(
            source_schema="shop",
            source_table="cards",
            source_id=str(uuid.uuid4()),
            vendor_code="toss.payments",
            vendor_uid=str(uuid.uuid4()),
            vendor_store_id="store",
            password="$2a$10$" + "N" * 53,
            title="card",
            data=data,
            created_at=datetime.now(UTC),
        )
        session.add(row)
        session.flush()
        return row.id


def at(row_id: str) -> Place:
    return Place("payment_reservations", "data", row_id)


def stored(database: Database, row_id: str) -> str:
    with database.transaction() as session:
        query = select(PaymentReservation.data).where(PaymentReservation.id == row_id)
        return session.scalar(query)


def set_data(database: Database, row_id: str, data: str) -> None:
    with database.transaction() as session:
        session.get(PaymentReservation, row_id).data = data


def test_a_row_changed_after_it_was_read_is_read_again_and_rotated(database_url):
    database = Database(database_url)
    keyring = AtRestKeyring("reservation", NEW, (OLD,))
    row_id = add_card(database, OLD.encrypt_json({"billingKey": "bk-1"}))
    plan = _plan(RESERVATIONS, row_id, {"data": stored(database, row_id)}, keyring)
    # A server (still on the old key, say) rewrites the row before our write lands.
    set_data(database, row_id, OLD.encrypt_json({"billingKey": "bk-2"}))
    report = TableReport("payment_reservations")

    _write(database, RESERVATIONS, keyring, [plan], report)

    assert report.rewritten == 1
    # The newer value survives, re-encrypted; the value we had read is not written back.
    assert keyring.is_current(stored(database, row_id), at(row_id))
    assert keyring.decrypt_json(stored(database, row_id), at(row_id)) == {"billingKey": "bk-2"}
    database.dispose()


def test_a_row_a_server_already_rewrote_with_the_new_key_counts_as_current(database_url):
    database = Database(database_url)
    keyring = AtRestKeyring("reservation", NEW, (OLD,))
    row_id = add_card(database, OLD.encrypt_json({"billingKey": "bk-1"}))
    plan = _plan(RESERVATIONS, row_id, {"data": stored(database, row_id)}, keyring)
    fresh = keyring.encrypt_json({"billingKey": "bk-3"}, at(row_id))
    set_data(database, row_id, fresh)
    report = TableReport("payment_reservations")

    _write(database, RESERVATIONS, keyring, [plan], report)

    assert (report.rewritten, report.current) == (0, 1)
    assert stored(database, row_id) == fresh
    database.dispose()


def test_rotate_keys_reports_per_table_and_a_second_run_has_nothing_to_do(database_url):
    database = Database(database_url)
    at_rest = {
        name: AtRestKeyring(name, NEW, (OLD,))
        for name in ("history", "reservation", "cancel_history", "webhook", "idempotency")
    }
    keys = Keys(connection=None, **at_rest)  # type: ignore[arg-type]
    for number in range(5):
        add_card(database, OLD.encrypt_json({"n": number}))
    current = add_card(database, "pending")
    set_data(database, current, at_rest["reservation"].encrypt_json({"n": 5}, at(current)))
    add_card(database, Cipher("0123456789abcdef", "fedcba9876543210").encrypt_json({}))
    seen: list[int] = []

    first = rotate_keys(database, keys, batch_size=2, progress=seen.append)
    second = rotate_keys(database, keys, dry_run=True)

    [cards] = [r for r in first if r.table == "payment_reservations"]
    assert (cards.scanned, cards.rewritten, cards.current, len(cards.unreadable)) == (7, 5, 1, 1)
    assert seen == [2, 2, 2, 1]
    [again] = [r for r in second if r.table == "payment_reservations"]
    assert (again.rewritten, again.current, again.unreadable) == (0, 6, cards.unreadable)
    database.dispose()

"""`payment-service rotate-keys`, run as a real subprocess beside a serving server.

The at-rest keys are rotated as the runbook of docs/operating.md says: the server moves to the
new keys with the old ones as previous keys, `rotate-keys` re-encrypts every record (here: killed
half-way with SIGKILL and run again), then the old keys are removed and every record must still
read. Also: a database in the original's unmarked format (the ciphertexts of
docs/payment-api.md §1.5) is read, rotated and read again.
"""

from __future__ import annotations

import json
import os
import pty
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from payment_service.client import PaymentClient
from payment_service.crypto import Cipher, hash_password
from payment_service.db import (
    Database,
    PaymentHistory,
    PaymentHistoryCancel,
    PaymentHistoryWebhook,
    PaymentReservation,
)
from payment_service.db.places import place, place_of
from payment_service.keyrings import AtRestKeyring, Place
from payment_service.rotation import ENCRYPTED_TABLES
from payment_service.settings import PUBLISHED_KEYS
from payment_service.testing import PaymentBackend
from tests.support.cli import Result, run_cli
from tests.support.payments import register
from tests.support.secrets import secret_pairs

COMMAND = [sys.executable, "-m", "payment_service.cli", "rotate-keys"]
AT_REST = ("HISTORY", "RESERVATION", "CANCEL_HISTORY", "WEBHOOK", "IDEMPOTENCY")
OLD = secret_pairs(AT_REST, seed="old")
NEW = secret_pairs(AT_REST, seed="new")
PASSWORD = "rotation-password"


def at_rest_environ(
    current: dict[str, tuple[str, str]], previous: dict[str, tuple[str, str]] | None = None
) -> dict[str, str]:
    env: dict[str, str] = {}
    for table in AT_REST:
        env[f"PAYMENT_{table}_ENCRYPTION_KEY"], env[f"PAYMENT_{table}_ENCRYPTION_IV"] = current[
            table
        ]
        if previous:
            key, iv = previous[table]
            env[f"PAYMENT_{table}_PREVIOUS_KEYS"] = json.dumps([{"key": key, "iv": iv}])
    return env


def cli_environ(database_url: str, keys: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYMENT_")}
    return {**env, "PAYMENT_DATABASE_URL": database_url, **keys}


def run_rotate(database_url: str, keys: dict[str, str], *args: str) -> Result:
    """The command in this process (the test killed half-way runs a real process)."""
    return run_cli("rotate-keys", *args, env={"PAYMENT_DATABASE_URL": database_url, **keys})


def keyrings(pairs: dict[str, tuple[str, str]]) -> dict[str, AtRestKeyring]:
    return {t.lower(): AtRestKeyring(t.lower(), Cipher(*pairs[t])) for t in AT_REST}


def stored_values(database_url: str) -> dict[tuple[str, str], list[str]]:
    """Every encrypted value in the database, by (table, row id)."""
    database = Database(database_url)
    values: dict[tuple[str, str], list[str]] = {}
    try:
        with database.transaction() as session:
            for target in ENCRYPTED_TABLES:
                table = target.table
                columns = [table.c[name] for name in target.columns]
                for row in session.execute(select(table.c.id, *columns)):
                    values[(table.name, row.id)] = [v for v in row[1:] if v is not None]
    finally:
        database.dispose()
    return values


def placed_values(database_url: str) -> dict[tuple[str, str], list[tuple[Place, str]]]:
    """Every encrypted value in the database with its place, by (table, row id)."""
    database = Database(database_url)
    values: dict[tuple[str, str], list[tuple[Place, str]]] = {}
    try:
        with database.transaction() as session:
            for target in ENCRYPTED_TABLES:
                table = target.table
                columns = [table.c[name] for name in target.columns]
                for row in session.execute(select(table.c.id, *columns)):
                    values[(table.name, row.id)] = [
                        (place_of(table.name, name, row.id), value)
                        for name, value in zip(target.columns, row[1:], strict=True)
                        if value is not None
                    ]
    finally:
        database.dispose()
    return values


def is_current(table: str, placed: list[tuple[Place, str]], rings) -> bool:
    """Whether every value is sealed with the current key of its keyring (bound to its place
    where its table binds them)."""
    [target] = [t for t in ENCRYPTED_TABLES if t.table.name == table]
    keyring = rings[target.keyring]
    return all(
        keyring.is_current(value, place if target.bound else None) for place, value in placed
    )


def rotated(database_url: str, rows: set[tuple[str, str]], rings) -> int:
    """How many of `rows` hold only values sealed with the current keys of `rings`."""
    values = placed_values(database_url)
    return sum(is_current(table, values[(table, row_id)], rings) for table, row_id in rows)


# What `old_orders` writes: 5 payments, each refunded once (a refund row and a webhook), 2 saved
# cards, and the SDK's Idempotency-Key of each of those 12 writes with its stored answer.
OLD_ROWS = {
    "payment_histories": 5,
    "payment_history_cancels": 5,
    "payment_history_webhooks": 5,
    "payment_reservations": 2,
    "payment_idempotency_keys": 12,
}
OLD_TOTAL = sum(OLD_ROWS.values())


def per_table(rows: set[tuple[str, str]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for table, _ in rows:
        counts[table] = counts.get(table, 0) + 1
    return counts


def final_count(output: str) -> tuple[int, int]:
    match = re.search(r"re-encrypt(?:ed)? (\d+) of (\d+) record\(s\)", output)
    assert match, output
    return int(match.group(1)), int(match.group(2))


# -- the scenario ------------------------------------------------------------------------------


class Orders:
    """Payments and saved cards made through the API, with what each must read back as."""

    def __init__(self) -> None:
        self.payments: dict[str, dict[str, Any]] = {}  # source id -> expectations
        self.cards: dict[str, str] = {}  # source id -> billing key

    def pay(self, backend: PaymentBackend, client: PaymentClient, webhook_url: str) -> None:
        source = {"schema": "shop", "table": "orders", "id": str(uuid.uuid4())}
        key = backend.customer.pay_toss_card(20000, source["id"])
        vendor = ("toss.payments", "store", key)
        register(client, vendor, source, password=PASSWORD, webhook_url=webhook_url)
        client.histories.cancel(source=source, password=PASSWORD, price=3000, reason="stock")
        self.payments[source["id"]] = {"paymentKey": key, "refund": Decimal(3000)}

    def save_card(self, backend: PaymentBackend, client: PaymentClient) -> None:
        customer_key = str(uuid.uuid4())
        billing_key = backend.customer.register_toss_billing(customer_key)
        client.reservations.create(
            vendor={"code": "toss.payments", "store_id": "store", "uid": billing_key},
            source={"schema": "shop", "table": "cards", "id": customer_key},
            title="card",
            password=PASSWORD,
        )
        self.cards[customer_key] = billing_key

    def check(self, client: PaymentClient, source_id: str) -> None:
        if source_id in self.payments:
            source = {"schema": "shop", "table": "orders", "id": source_id}
            history = client.histories.get(source=source, password=PASSWORD)
            expected = self.payments[source_id]
            assert history.data["paymentKey"] == expected["paymentKey"]
            assert history.refund == expected["refund"]
            assert [c.price for c in history.cancels] == [Decimal(3000)]
        else:
            source = {"schema": "shop", "table": "cards", "id": source_id}
            card = client.reservations.get(source=source, password=PASSWORD)
            assert card.data["billingKey"] == self.cards[source_id]

    def check_all(self, client: PaymentClient) -> None:
        for source_id in [*self.payments, *self.cards]:
            self.check(client, source_id)


class Traffic(threading.Thread):
    """A client on the server during the rotation: new payments and refunds, old reads.

    Bounded, as the machine is shared: at most NEW_PAYMENTS payments, a pause between calls.
    """

    NEW_PAYMENTS = 6
    PAUSE_S = 0.1

    def __init__(self, backend: PaymentBackend, old: Orders, webhook_url: str):
        super().__init__(daemon=True)
        self.backend, self.old, self.webhook_url = backend, old, webhook_url
        self.new = Orders()
        self.errors: list[BaseException] = []
        self.operations = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        old_ids = [*self.old.payments, *self.old.cards]
        with PaymentClient(self.backend.url, self.backend.key, self.backend.iv) as client:
            while not self.stopping.wait(self.PAUSE_S):
                try:
                    if len(self.new.payments) < self.NEW_PAYMENTS:
                        self.new.pay(self.backend, client, self.webhook_url)
                    self.old.check(client, old_ids[self.operations % len(old_ids)])
                except BaseException as error:  # the test reports it
                    self.errors.append(error)
                    return
                self.operations += 1

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=60)


@pytest.fixture
def old_orders(database_url: str) -> Iterator[Orders]:
    """Payments, refunds (hence webhooks) and saved cards written with the OLD keys."""
    orders = Orders()
    with PaymentBackend(database_url, environ=at_rest_environ(OLD)) as backend:
        receiver = backend.webhook_receiver()
        with PaymentClient(backend.url, backend.key, backend.iv) as client:
            for _ in range(5):
                orders.pay(backend, client, receiver.url)
            for _ in range(2):
                orders.save_card(backend, client)
    yield orders


@pytest.mark.realtime  # killed while it runs, under live traffic
def test_rotate_keys_under_traffic_killed_and_resumed_then_old_keys_dropped(
    database_url, old_orders
):
    old_rows = set(stored_values(database_url))
    assert per_table(old_rows) == OLD_ROWS
    during = at_rest_environ(NEW, previous=OLD)
    new_rings = keyrings(NEW)

    with PaymentBackend(database_url, environ=during) as backend:
        traffic = Traffic(backend, old_orders, backend.webhook_receiver().url)
        traffic.start()
        try:
            # 1. Slowly (one row per batch, paused), so that it can be killed half-way.
            first = subprocess.Popen(
                [*COMMAND, "--batch-size", "2", "--pause", "0.5"],
                env=cli_environ(database_url, during),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            deadline = time.monotonic() + 120
            done = 0
            while done < 4 and time.monotonic() < deadline and first.poll() is None:
                time.sleep(0.2)
                done = rotated(database_url, old_rows, new_rings)
            first.send_signal(signal.SIGKILL)
            first.communicate(timeout=30)
            assert first.returncode == -signal.SIGKILL
            done = rotated(database_url, old_rows, new_rings)
            assert 4 <= done < len(old_rows), "not killed half-way"

            # 2. Run again: it finishes the job, skipping what the killed run did.
            second = run_rotate(database_url, during, "--batch-size", "4")
            assert second.status == 0, second.stderr
            rewritten, _ = final_count(second.stdout)
            assert 1 <= rewritten <= len(old_rows) - done
            assert rotated(database_url, old_rows, new_rings) == len(old_rows)
        finally:
            traffic.stop()
    assert traffic.errors == []
    assert traffic.operations >= 1

    # 3. The old keys are gone: every value is sealed with the new ones, every record reads.
    values = placed_values(database_url)
    assert len(values) > len(old_rows)  # the traffic's records are there too
    for (table, _), placed in values.items():
        assert is_current(table, placed, new_rings)
    with PaymentBackend(database_url, environ=at_rest_environ(NEW)) as backend:
        with PaymentClient(backend.url, backend.key, backend.iv) as client:
            old_orders.check_all(client)
            traffic.new.check_all(client)
        keys = backend.settings.keys
        with backend.runtime.database.transaction() as session:
            for webhook in session.scalars(select(PaymentHistoryWebhook)):
                current = keys.webhook.decrypt_json(webhook.current, place(webhook, "current"))
                previous = keys.webhook.decrypt_json(webhook.previous, place(webhook, "previous"))
                assert (current["refund"], previous["refund"]) == (3000, None)
            for cancel in session.scalars(select(PaymentHistoryCancel)):
                data = keys.cancel_history.decrypt_json(cancel.data, place(cancel, "data"))
                assert data["cancelAmount"] == 3000


def test_dry_run_counts_and_changes_nothing(database_url, old_orders):
    before = stored_values(database_url)

    result = run_rotate(database_url, at_rest_environ(NEW, previous=OLD), "--dry-run")

    assert result.status == 0, result.stderr
    assert final_count(result.stdout) == (OLD_TOTAL, OLD_TOTAL)
    assert "payment_histories: 5 record(s), would re-encrypt 5, 0 already current" in (
        result.stdout
    )
    assert stored_values(database_url) == before


def test_records_no_key_opens_are_named_and_fail_the_command(database_url, old_orders):
    # The operator forgot the previous keys: nothing can be re-encrypted, and it says so.
    result = run_rotate(database_url, at_rest_environ(NEW))

    assert result.status == 1
    assert "payment_reservations: 2 record(s), re-encrypted 0, 0 already current, " in (
        result.stdout
    )
    assert "2 unreadable with any configured key" in result.stdout
    assert final_count(result.stdout) == (0, OLD_TOTAL)


# -- a database of the original ----------------------------------------------------------------

# Ciphertexts made by the original's own code (docs/payment-api.md §1.5, vectors D1-D3), with
# its keys.
D1 = "23QjPf6xNmXt4T2notl8WJnsjTYnYvmd3ZLi31qmWxp5Va24QRJ2a1bJx080JbMf"
D2 = "8tUl+Dvv1cYxBbktLHfgj2Zf8TIOCOav/aFvU1vZrumXm1Q98cqOxJoWJDNNp3Tz"
D3 = "hu/WQaRf/Pf9PPY3uu0nKNEEfSXbwLVFo2ZykEHyrSE="


def owned_by(table: str, source_id: str, vendor: str, uid: str) -> dict[str, Any]:
    """The columns a payment and a saved card share: whose row it is and the gateway's record."""
    source = {"source_schema": "shop", "source_table": table, "source_id": source_id}
    gateway = {"vendor_code": vendor, "vendor_uid": uid, "vendor_store_id": "store"}
    return {**source, **gateway, "password": hash_password(PASSWORD)}


def write_original_rows(database_url: str) -> dict[str, str]:
    """One payment with a refund and its webhook, and one saved card, unmarked, as written
    before key generations existed (the webhook row as earlier versions of this server did)."""
    now = datetime.now(UTC)
    ids = {"order": str(uuid.uuid4()), "card": str(uuid.uuid4())}
    webhook_cipher = Cipher(*PUBLISHED_KEYS["WEBHOOK"])
    database = Database(database_url)
    try:
        with database.transaction() as session:
            history = PaymentHistory(
                **owned_by("orders", ids["order"], "iamport", "imp_123"),
                currency="KRW",
                price=Decimal(20000),
                refund=Decimal(4000),
                webhook_url="http://127.0.0.1:9/hook",
                data=D1,
                created_at=now,
                paid_at=now,
                cancelled_at=now,
                confirmed_at=now,
            )
            session.add(history)
            session.flush()
            session.add(
                PaymentHistoryCancel(
                    payment_history_id=history.id,
                    sequence=0,
                    amount=Decimal(4000),
                    reason="stock",
                    data=D3,
                    created_at=now,
                )
            )
            session.add(
                PaymentHistoryWebhook(
                    payment_history_id=history.id,
                    previous=webhook_cipher.encrypt_json({"refund": None}),
                    current=webhook_cipher.encrypt_json({"refund": 4000}),
                    data=webhook_cipher.encrypt_json({"imp_uid": "imp_123"}),
                    created_at=now,
                    status="delivered",
                    attempts=1,
                    next_attempt_at=now,
                    deadline_at=now,
                    delivered_at=now,
                )
            )
            session.add(
                PaymentReservation(
                    **owned_by("cards", ids["card"], "toss.payments", "bk"),
                    title="card",
                    data=D2,
                    created_at=now,
                )
            )
    finally:
        database.dispose()
    return ids


def read_original_rows(backend: PaymentBackend, ids: dict[str, str]) -> None:
    with PaymentClient(backend.url, backend.key, backend.iv) as client:
        history = client.histories.get(
            source={"schema": "shop", "table": "orders", "id": ids["order"]}, password=PASSWORD
        )
        card = client.reservations.get(
            source={"schema": "shop", "table": "cards", "id": ids["card"]}, password=PASSWORD
        )
    assert history.data == {"imp_uid": "imp_123", "amount": 20000}
    assert history.refund == 4000
    assert card.data == {"billingKey": "bk", "customerKey": "ck"}
    keys = backend.settings.keys
    with backend.runtime.database.transaction() as session:
        webhook = session.scalars(select(PaymentHistoryWebhook)).one()
        cancel = session.scalars(select(PaymentHistoryCancel)).one()
        # (Unmarked before the rotation, bound to their place after it.)
        current = keys.webhook.decrypt_json(webhook.current, place(webhook, "current"))
        assert current == {"refund": 4000}
        data = keys.cancel_history.decrypt_json(cancel.data, place(cancel, "data"))
        assert data == {"cancelAmount": 4000}


def test_a_database_in_the_original_format_is_read_rotated_and_read_again(database_url):
    ids = write_original_rows(database_url)
    published = {table: PUBLISHED_KEYS[table] for table in AT_REST}

    # The original's keys as the current ones: its unmarked records read as they are.
    with PaymentBackend(database_url) as backend:
        read_original_rows(backend, ids)
    assert stored_values(database_url)[("payment_histories", _only_id(database_url))] == [D1]

    # Rotate to new keys, with a terminal on stderr to see the progress bar.
    during = at_rest_environ(NEW, previous=published)
    output, status = run_in_terminal(database_url, during)
    assert status == 0, output
    assert "re-encrypting" in output and "100%" in output
    assert "re-encrypted 4 of 4 record(s)" in output

    with PaymentBackend(database_url, environ=at_rest_environ(NEW)) as backend:
        read_original_rows(backend, ids)
    rings = keyrings(NEW)
    for (table, _), placed in placed_values(database_url).items():
        assert is_current(table, placed, rings)


def _only_id(database_url: str) -> str:
    [(_, row_id)] = [key for key in stored_values(database_url) if key[0] == "payment_histories"]
    return row_id


def run_in_terminal(database_url: str, keys: dict[str, str]) -> tuple[str, int]:
    """Run rotate-keys with stdout and stderr on a pseudo-terminal; its output and status."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        COMMAND, env=cli_environ(database_url, keys), stdout=follower, stderr=follower
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed: the process is done
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return b"".join(chunks).decode("utf-8", "replace"), process.wait(timeout=60)

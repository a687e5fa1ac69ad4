"""The original server's database in tests: restoring its dump into a fresh PostgreSQL
database, reading its rows before adoption, and what the original answered for each record.

What the original answered is rebuilt here from its own rows with its own rules (its
`PaymentHistoryProvider.json.transform` and `PaymentReservationProvider.json.transform`), and
its ciphertexts are opened with plain AES, independently of payment-service's code: an adopted
record must answer exactly this.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from Crypto.Cipher import AES
from Crypto.Util.Padding import unpad
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from payment_service.crypto import hash_password
from tests.conftest import _postgres_server

DATA = Path(__file__).parent / "data"
DUMP = DATA / "written-by-original-10.0.0.sql"
SEEDED = frozenset((DATA / "seeded-history-ids.txt").read_text().split())
SEEDED_PASSWORD = "original-password"
GIVEN_PASSWORD = "a-password-the-tests-gave-this-record"
"""For the records whose original password is unknown (see data/README.md)."""
SCHEMA = "payments"

KEYS = {
    "PAYMENT_CONNECTION_ENCRYPTION_KEY": "MCKOxv9B23r7EatArCFcBP03nfaS03T8",
    "PAYMENT_CONNECTION_ENCRYPTION_IV": "9haeYD1tIf4v8xs7",
    "PAYMENT_HISTORY_ENCRYPTION_KEY": "MTlsOESZ6geZTjeaubOdR71tobe0KqE7",
    "PAYMENT_HISTORY_ENCRYPTION_IV": "7BqAGp1HPY9Ox66w",
    "PAYMENT_RESERVATION_ENCRYPTION_KEY": "0OrB5XVgkYpoybWeGIUkattMb4lTLQgz",
    "PAYMENT_RESERVATION_ENCRYPTION_IV": "ESgYCYV10Iy6qd1y",
    "PAYMENT_CANCEL_HISTORY_ENCRYPTION_KEY": "aU3y0PTXraB2SEYj1ACwtTYKxiYBvH4g",
    "PAYMENT_CANCEL_HISTORY_ENCRYPTION_IV": "fro2JXImhmbDtDNx",
}
"""The keys the original ran with (its published test keys)."""


def environment(url: str, **extra: str) -> dict[str, str]:
    """The `PAYMENT_*` variables a user sets to run payment-service on the adopted database."""
    return {
        "PAYMENT_MODE": "local",
        "PAYMENT_DATABASE_URL": url,
        "PAYMENT_DATABASE_SCHEMA": SCHEMA,
        **KEYS,
        **extra,
    }


def libpq(url: str) -> str:
    """The URL as psql and pg_dump take it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def postgres_server() -> str:
    """The maintenance URL of the PostgreSQL server the tests use (skip when there is none)."""
    server = _postgres_server()
    if server is None:
        pytest.skip("adopt-original is PostgreSQL only, and no PostgreSQL server answers")
    if shutil.which("psql") is None or shutil.which("pg_dump") is None:
        pytest.skip("psql and pg_dump are needed to restore and compare the original's dump")
    return server


def new_database(server: str) -> str:
    name = f"payment_adopt_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def drop_database(server: str, url: str) -> None:
    name = make_url(url).database
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def restore(url: str) -> None:
    """Load the original's dump, as its README says: `psql -f`."""
    subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", libpq(url), "-f", str(DUMP)],
        check=True,
        capture_output=True,
        timeout=120,
    )


@contextmanager
def original_database(server: str) -> Iterator[str]:
    """A fresh database holding the restored dump, dropped afterwards."""
    url = new_database(server)
    try:
        restore(url)
        yield url
    finally:
        drop_database(server, url)


def dump(url: str) -> str:
    """Everything in the database (schema and rows), as pg_dump prints it."""
    printed = subprocess.run(
        ["pg_dump", "--no-owner", "--no-privileges", "-d", libpq(url)],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    # A random key per run (psql's \restrict guard) is the only thing that may differ.
    return "\n".join(
        line for line in printed.splitlines() if not line.startswith(("\\restrict", "\\unrestrict"))
    )


def execute(url: str, *statements: str, **parameters: Any) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement), parameters)
    engine.dispose()


def give_passwords(url: str) -> None:
    """Give every record whose original password is unknown the password GIVEN_PASSWORD."""
    hashed = hash_password(GIVEN_PASSWORD)
    execute(
        url,
        "UPDATE payments.payment_histories SET password = :hashed WHERE id::text <> ALL(:seeded)",
        "UPDATE payments.payment_reservations SET password = :hashed",
        hashed=hashed,
        seeded=sorted(SEEDED),
    )


def password_of(history_id: str) -> str:
    return SEEDED_PASSWORD if history_id in SEEDED else GIVEN_PASSWORD


# -- the original's rows, and its answers ------------------------------------------------


@dataclass
class Original:
    """The original's rows (as dicts of their columns), read before adoption."""

    histories: dict[str, dict[str, Any]] = field(default_factory=dict)
    cancels: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """By history id, in the order of their `created_at`."""
    reservations: dict[str, dict[str, Any]] = field(default_factory=dict)
    webhooks: dict[str, dict[str, Any]] = field(default_factory=dict)
    responses: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "payment_histories": len(self.histories),
            "payment_history_cancels": sum(len(c) for c in self.cancels.values()),
            "payment_history_webhooks": len(self.webhooks),
            "payment_history_webhook_responses": len(self.responses),
            "payment_reservations": len(self.reservations),
        }

    def history(self, history_id: str) -> dict[str, Any]:
        """What the original answered for the history (`IPaymentHistory`)."""
        row = self.histories[history_id]
        cancels = sorted(self.cancels.get(history_id, []), key=lambda c: c["created_at"])
        return {
            "id": row["id"],
            "vendor_code": row["vendor_code"],
            "vendor": {
                "code": row["vendor_code"],
                "uid": row["vendor_uid"],
                "store_id": row["vendor_store_id"],
            },
            "source": {
                "schema": row["source_schema"],
                "table": row["source_table"],
                "id": row["source_id"],
            },
            "cancels": [
                {
                    "price": number(c["amount"]),
                    "reason": c["reason"],
                    "created_at": iso(c["created_at"]),
                    "time": iso(c["created_at"]),
                }
                for c in cancels
            ],
            "currency": row["currency"],
            "price": number(row["price"]),
            "refund": number(row["refund"]) if row["refund"] != 0 else None,
            "data": json.loads(self.history_data(history_id)),
            "webhook_url": row["webhook_url"],
            "created_at": iso(row["created_at"]),
            "paid_at": iso(row["paid_at"]),
            "cancelled_at": iso(row["cancelled_at"]),
        }

    def history_data(self, history_id: str) -> str:
        """The gateway's record, as the JSON text the original encrypted."""
        return decrypt("HISTORY", self.histories[history_id]["data"])

    def reservation(self, reservation_id: str) -> dict[str, Any]:
        """What the original answered for the reservation (`IPaymentReservation`)."""
        row = self.reservations[reservation_id]
        return {
            "id": row["id"],
            "vendor_code": row["vendor_code"],
            "vendor": {
                "code": row["vendor_code"],
                "store_id": row["vendor_store_id"],
                "uid": row["vendor_uid"],
            },
            "source": {
                "schema": row["source_schema"],
                "table": row["source_table"],
                "id": row["source_id"],
            },
            "title": row["title"],
            "data": json.loads(decrypt("RESERVATION", row["data"])),
            "created_at": iso(row["created_at"]),
        }

    def source(self, history_id: str) -> dict[str, str]:
        row = self.histories[history_id]
        return {
            "schema": row["source_schema"],
            "table": row["source_table"],
            "id": row["source_id"],
        }

    def first(self, vendor_code: str, excluding: Iterable[str] = (), **wanted: Any) -> str:
        """The id of the first (oldest) history of `vendor_code` whose gateway record has the
        `wanted` values (e.g. `status="paid"`), with no refund, not one of the 30 seeded ones
        (whose `webhook_url` has no receiver) nor one of `excluding`."""
        excluded = SEEDED | set(excluding)
        for history_id, row in sorted(self.histories.items(), key=lambda i: i[1]["created_at"]):
            data = json.loads(self.history_data(history_id))
            if (
                row["vendor_code"] == vendor_code
                and row["refund"] == 0
                and history_id not in excluded
                and all(data.get(key) == value for key, value in wanted.items())
            ):
                return history_id
        raise LookupError(f"no {vendor_code} history with {wanted}")


def read(url: str) -> Original:
    """Every row of the original's tables, before adoption."""
    found = Original()
    engine = create_engine(url)
    with engine.connect() as connection:

        def rows(table: str) -> list[dict[str, Any]]:
            result = connection.execute(text(f"SELECT * FROM {SCHEMA}.{table} ORDER BY created_at"))
            return [
                {k: str(v) if isinstance(v, uuid.UUID) else v for k, v in row.items()}
                for row in result.mappings()
            ]

        found.histories = {row["id"]: row for row in rows("payment_histories")}
        for cancel in rows("payment_history_cancels"):
            found.cancels.setdefault(cancel["payment_history_id"], []).append(cancel)
        found.reservations = {row["id"]: row for row in rows("payment_reservations")}
        found.webhooks = {row["id"]: row for row in rows("payment_history_webhooks")}
        found.responses = {row["id"]: row for row in rows("payment_history_webhook_responses")}
    engine.dispose()
    return found


def decrypt(table: str, ciphertext: str) -> str:
    """The original's AES-256-CBC (PKCS#7, base64) with its key and IV for `table`."""
    key = KEYS[f"PAYMENT_{table}_ENCRYPTION_KEY"].encode()
    iv = KEYS[f"PAYMENT_{table}_ENCRYPTION_IV"].encode()
    raw = AES.new(key, AES.MODE_CBC, iv).decrypt(base64.b64decode(ciphertext))
    return unpad(raw, AES.block_size).decode("utf-8")


def iso(moment: datetime | None) -> str | None:
    """JavaScript's `Date.prototype.toISOString()`."""
    if moment is None:
        return None
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def number(value: float) -> int | float:
    """A double as JavaScript's JSON prints it: integral ones without a fraction."""
    return int(value) if float(value).is_integer() else float(value)


def process_environment(url: str, **extra: str) -> dict[str, str]:
    """This process's environment without its `PAYMENT_*` variables, plus `environment()`:
    for payment-service subprocesses."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("PAYMENT_")}
    return {**inherited, **environment(url, **extra)}

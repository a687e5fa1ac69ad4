"""What in the original's rows payment-service's schema or keys could not hold, found before
anything is changed: each finding is one sentence naming the rows (a few of them, and how many
in all), so that an operator can fix them in the original's database and run again."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from functools import partial
from typing import Any

from sqlalchemy import Connection, text

from ..crypto import DecryptionError, loads
from ..keyrings import AtRestKeyring
from ..settings import Keys
from .catalog import quote

SHOWN = 10
"""Rows named per finding; the rest are counted."""

LIMITS: dict[str, dict[str, int]] = {
    table: {
        "source_schema": 255,
        "source_table": 255,
        "source_id": 255,
        "vendor_code": 64,
        "vendor_uid": 255,
        "vendor_store_id": 255,
        "password": 255,
        **({"currency": 16} if table == "payment_histories" else {}),
    }
    for table in ("payment_histories", "payment_reservations")
}
"""The original's unbounded varchars that payment-service bounds, with its lengths."""

UNIQUE_KEYS = (("source_schema", "source_table", "source_id"), ("vendor_code", "vendor_uid"))

PARENTS = (
    ("payment_history_cancels", "payment_history_id", "payment_histories"),
    ("payment_history_webhooks", "payment_history_id", "payment_histories"),
    ("payment_history_webhook_responses", "payment_history_webhook_id", "payment_history_webhooks"),
)


def listed(ids: list[str], total: int) -> str:
    more = f" and {total - len(ids)} more" if total > len(ids) else ""
    return ", ".join(ids) + more


def too_long(connection: Connection) -> Iterator[str]:
    for table, limits in LIMITS.items():
        for column, limit in limits.items():
            where = f"length({quote(column)}) > {limit}"
            total = _count(connection, table, where)
            if total:
                ids = _ids(connection, table, where)
                yield (
                    f"{table}.{column} is longer than {limit} characters (payment-service's "
                    f"limit) in {total} row(s): {listed(ids, total)}"
                )


def duplicates(connection: Connection) -> Iterator[str]:
    for table in LIMITS:
        for key in UNIQUE_KEYS:
            columns = ", ".join(quote(c) for c in key)
            groups = connection.execute(
                text(
                    f"SELECT {columns}, count(*) FROM {quote(table)} GROUP BY {columns} "
                    f"HAVING count(*) > 1 ORDER BY 1, 2 LIMIT {SHOWN}"
                )
            ).all()
            for group in groups:
                values = ", ".join(f"{c}={v!r}" for c, v in zip(key, group, strict=False))
                yield f"{table}: {group[-1]} rows share {values}, which must be unique"


def orphans(connection: Connection) -> Iterator[str]:
    for child, column, parent in PARENTS:
        where = (
            f"NOT EXISTS (SELECT 1 FROM {quote(parent)} p "
            f"WHERE p.id = {quote(child)}.{quote(column)})"
        )
        total = _count(connection, child, where)
        if total:
            ids = _ids(connection, child, where)
            yield f"{child}: {total} row(s) point at no {parent} row: {listed(ids, total)}"


def unreadable(connection: Connection, keys: Keys) -> Iterator[str]:
    """Encrypted columns that the configured keys (current or previous) do not open."""
    for table, keyring, variable in (
        ("payment_histories", keys.history, "HISTORY"),
        ("payment_history_cancels", keys.cancel_history, "CANCEL_HISTORY"),
        ("payment_reservations", keys.reservation, "RESERVATION"),
    ):
        shown, bad = _failing(_column(connection, table, "data"), partial(_opens, keyring))
        if bad:
            total = _count(connection, table, "TRUE")
            yield (
                f"{table}.data: {bad} of {total} row(s) do not decrypt with "
                f"PAYMENT_{variable}_ENCRYPTION_KEY/IV (nor PAYMENT_{variable}_PREVIOUS_KEYS): "
                f"{listed(shown, bad)}. Set the keys the original server ran with"
            )


def not_json(connection: Connection) -> Iterator[str]:
    """The original kept its webhooks' texts as plain JSON: anything else cannot be sent."""
    for column in ("previous", "current", "data"):
        rows = _column(connection, "payment_history_webhooks", column)
        shown, bad = _failing(rows, _is_json)
        if bad:
            yield (
                f"payment_history_webhooks.{column} is not JSON in {bad} row(s): "
                f"{listed(shown, bad)}"
            )


def every_finding(connection: Connection, keys: Keys) -> list[str]:
    checks: Iterable[Callable[[], Iterator[str]]] = (
        lambda: too_long(connection),
        lambda: duplicates(connection),
        lambda: orphans(connection),
        lambda: not_json(connection),
        lambda: unreadable(connection, keys),
    )
    return [finding for check in checks for finding in check()]


def _count(connection: Connection, table: str, where: str) -> int:
    query = text(f"SELECT count(*) FROM {quote(table)} WHERE {where}")
    return int(connection.execute(query).scalar_one())


def _ids(connection: Connection, table: str, where: str) -> list[str]:
    query = text(f"SELECT id::text FROM {quote(table)} WHERE {where} ORDER BY id LIMIT {SHOWN}")
    return list(connection.execute(query).scalars())


def _column(connection: Connection, table: str, column: str) -> Iterator[tuple[str, Any]]:
    # Streamed through a server-side cursor. (Options given to the statement: those of the
    # connection would stay on it, and turn every later statement into a cursor too.)
    query = text(f"SELECT id::text, {quote(column)} FROM {quote(table)} ORDER BY id")
    for row in connection.execute(query.execution_options(yield_per=500)):
        yield row[0], row[1]


def _failing(rows: Iterable[tuple[str, Any]], good: Callable[[Any], bool]) -> tuple[list[str], int]:
    """The first SHOWN ids of the rows whose value is not `good`, and how many there are."""
    shown: list[str] = []
    count = 0
    for row_id, value in rows:
        if not good(value):
            count += 1
            if len(shown) < SHOWN:
                shown.append(row_id)
    return shown, count


def _opens(keyring: AtRestKeyring, ciphertext: str) -> bool:
    try:
        keyring.open(ciphertext)
    except DecryptionError:
        return False
    return True


def _is_json(value: str) -> bool:
    try:
        loads(value)
    except (ValueError, RecursionError):
        return False
    return True

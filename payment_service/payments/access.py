"""Checking the passwords of stored records (found through `db.queries.records`).

Password checks (bcrypt, tens of milliseconds of CPU) never run inside a transaction: callers
read the record's hash, leave the transaction, `verify`, and — when they go on to write —
check inside the writing transaction that the hash they verified is still the row's.

A lookup of an unknown record still spends one bcrypt check, so that "not found" and "wrong
password" take the same time (the statuses differ, as the wire requires, but timing tells no
more than they do).
"""

from __future__ import annotations

from typing import Any

from ..db import PaymentHistory, PaymentHistoryClaim, PaymentReservation
from ..errors import NotFound, WrongPassword
from ..security import passwords
from .inputs import Source


def same_source(
    row: PaymentHistory | PaymentReservation | PaymentHistoryClaim, source: Source
) -> bool:
    return (row.source_schema, row.source_table, row.source_id) == (
        source.schema,
        source.table,
        source.id,
    )


def verify(password: str, hashed: str | None, what: str, *, record_id: str) -> None:
    """Pass if `password` opens the record `record_id` whose hash is `hashed`: 404 when there is
    no record (None), 403 when wrong. Call it outside any transaction. Checks go through
    `security.passwords` (verified-credential cache, failures counted for the throttle)."""
    if hashed is None:
        passwords.burn(password)
        raise NotFound(f"No {what} found.")
    if not passwords.verify(record_id, hashed, password):
        raise WrongPassword()


def opened(found: tuple[str, dict[str, Any]] | None, password: str, what: str) -> dict[str, Any]:
    """A record's view read earlier with its password hash, if `password` opens it (checked
    after the reading transaction ended): 404 when there was none, 403 when wrong."""
    verify(password, found[0] if found else None, what, record_id=found[1]["id"] if found else "")
    assert found is not None
    return found[1]

"""Checking the passwords of stored records (found through `db.queries.records`).

Password checks (bcrypt, tens of milliseconds of CPU) never run inside a transaction: callers
read the record's hash, leave the transaction, `verify`, and — when they go on to write —
check inside the writing transaction that the hash they verified is still the row's.

A lookup of an unknown record still spends one bcrypt check, so that "not found" and "wrong
password" take the same time (the statuses differ, as the wire requires, but timing tells no
more than they do).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from ..crypto import Cipher
from ..db import PaymentHistory, PaymentHistoryClaim, PaymentReservation
from ..db.queries import records
from ..db.queries.records import Holder
from ..errors import NotFound, WrongPassword
from ..runtime import Runtime
from ..security import passwords
from .inputs import Source

Record = TypeVar("Record", PaymentHistory, PaymentReservation)


def same_source(
    row: PaymentHistory | PaymentReservation | PaymentHistoryClaim | Holder, source: Source
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


@dataclass(frozen=True)
class LookUps(Generic[Record]):
    """Reading one kind of record by its password: by source or by id, each read in a short
    transaction and checked after it ended (404 when there is none, 403 when wrong)."""

    model: type[Record]
    what: str
    view: Callable[[Record, Cipher], dict[str, Any]]
    keyring: str
    """The attribute of `Keys` that opens the record's `data`."""

    def by_source(self, runtime: Runtime, source: Source, password: str) -> dict[str, Any]:
        with runtime.database.reading() as session:
            found = self._seen(runtime, records.by_source(session, self.model, source))
        return self._opened(found, password)

    def by_id(self, runtime: Runtime, id: str, password: str) -> dict[str, Any]:
        with runtime.database.reading() as session:
            found = self._seen(runtime, records.by_id(session, self.model, id))
        return self._opened(found, password)

    def _seen(self, runtime: Runtime, row: Record | None) -> tuple[str, dict[str, Any]] | None:
        if row is None:
            return None
        return row.password, self.view(row, getattr(runtime.settings.keys, self.keyring))

    def _opened(self, found: tuple[str, dict[str, Any]] | None, password: str) -> dict[str, Any]:
        hashed, record_id = (found[0], found[1]["id"]) if found else (None, "")
        verify(password, hashed, self.what, record_id=record_id)
        assert found is not None
        return found[1]

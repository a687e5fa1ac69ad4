"""Finding stored records and checking their passwords.

Password checks (bcrypt, tens of milliseconds of CPU) never run inside a transaction: callers
read the record's hash, leave the transaction, `verify`, and — when they go on to write —
check inside the writing transaction that the hash they verified is still the row's.

A lookup of an unknown record still spends one bcrypt check, so that "not found" and "wrong
password" take the same time (the statuses differ, as the wire requires, but timing tells no
more than they do).
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..db import PaymentHistory, PaymentReservation
from ..errors import NotFound, WrongPassword
from ..security import passwords
from .inputs import Source

Record = TypeVar("Record", PaymentHistory, PaymentReservation)


def by_source(
    session: Session, model: type[Record], source: Source, *, lock: bool = False
) -> Record | None:
    query = select(model).where(
        model.source_schema == source.schema,
        model.source_table == source.table,
        model.source_id == source.id,
    )
    return _one(session, model, query, lock)


def by_id(session: Session, model: type[Record], id: str, *, lock: bool = False) -> Record | None:
    return _one(session, model, select(model).where(model.id == id.lower()), lock)


def by_vendor(
    session: Session, model: type[Record], code: str, uid: str, *, lock: bool = False
) -> Record | None:
    query = select(model).where(model.vendor_code == code, model.vendor_uid == uid)
    return _one(session, model, query, lock)


def conflicting(
    session: Session, model: type[Record], source: Source, code: str, uid: str
) -> list[Record]:
    """Rows (confirmed or not) that already hold this source or this vendor uid, locked."""
    query = select(model).where(
        or_(
            (model.source_schema == source.schema)
            & (model.source_table == source.table)
            & (model.source_id == source.id),
            (model.vendor_code == code) & (model.vendor_uid == uid),
        )
    )
    return list(session.scalars(query.with_for_update()).all())


def claimed(session: Session, model: type[PaymentHistory], code: str, uid: str) -> bool:
    """Whether a registration of this vendor uid is in flight (claimed, not yet confirmed)."""
    query = select(model.id).where(
        model.vendor_code == code, model.vendor_uid == uid, model.confirmed_at.is_(None)
    )
    return session.scalar(query) is not None


def same_source(row: PaymentHistory | PaymentReservation, source: Source) -> bool:
    return (row.source_schema, row.source_table, row.source_id) == (
        source.schema,
        source.table,
        source.id,
    )


def _one(session: Session, model: type[Record], query, lock: bool) -> Record | None:  # type: ignore[no-untyped-def]
    if model is PaymentHistory:
        # A history whose gateway confirmation is still in flight is not a payment yet.
        query = query.where(PaymentHistory.confirmed_at.is_not(None))
    if lock:
        query = query.with_for_update()
    return session.scalars(query.execution_options(populate_existing=True)).first()


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

"""Looking up sourced records (payments, reservations, claims): by source, id or vendor uid."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from ..models import PaymentHistory, PaymentHistoryClaim, PaymentReservation

Record = TypeVar("Record", PaymentHistory, PaymentReservation, PaymentHistoryClaim)


class Source(Protocol):
    """The service's record a row belongs to (`payments.inputs.Source`)."""

    @property
    def schema(self) -> str: ...
    @property
    def table(self) -> str: ...
    @property
    def id(self) -> str: ...


def by_source(
    session: Session, model: type[Record], source: Source, *, lock: bool = False
) -> Record | None:
    query = select(model).where(
        model.source_schema == source.schema,
        model.source_table == source.table,
        model.source_id == source.id,
    )
    return _one(session, query, lock)


def by_id(session: Session, model: type[Record], id: str, *, lock: bool = False) -> Record | None:
    return _one(session, select(model).where(model.id == id.lower()), lock)


def by_vendor(
    session: Session, model: type[Record], code: str, uid: str, *, lock: bool = False
) -> Record | None:
    query = select(model).where(model.vendor_code == code, model.vendor_uid == uid)
    return _one(session, query, lock)


def conflicting(
    session: Session, model: type[Record], source: Source, code: str, uid: str
) -> list[Record]:
    """Rows that already hold this source or this vendor uid, locked."""
    query = select(model).where(
        or_(
            (model.source_schema == source.schema)
            & (model.source_table == source.table)
            & (model.source_id == source.id),
            (model.vendor_code == code) & (model.vendor_uid == uid),
        )
    )
    return list(session.scalars(query.with_for_update()).all())


def _one(session: Session, query: Select[Any], lock: bool) -> Any:
    if lock:
        query = query.with_for_update()
    return session.scalars(query.execution_options(populate_existing=True)).first()

"""Looking up sourced records (payments, reservations, claims): by source, id or vendor uid."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from functools import cache
from typing import Any, Protocol, TypeVar

from sqlalchemy import Select, Table, and_, bindparam, or_, select
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


@dataclass(frozen=True)
class Holder:
    """A row that holds a source or a vendor uid: what a registration needs to know of it."""

    id: str
    source_schema: str
    source_table: str
    source_id: str
    vendor_code: str
    vendor_uid: str
    password: str
    created_at: datetime


def conflicting(
    session: Session, model: type[Record], source: Source, code: str, uid: str
) -> list[Holder]:
    """Rows that already hold this source or this vendor uid, locked."""
    parameters = {
        "source_schema": source.schema,
        "source_table": source.table,
        "source_id": source.id,
        "vendor_code": code,
        "vendor_uid": uid,
    }
    rows = session.execute(_conflicting(model.__table__), parameters)  # type: ignore[arg-type]
    return [Holder(*row) for row in rows]


@cache
def _conflicting(table: Table) -> Select[Any]:
    # Built once per table: every registration runs it.
    columns = table.c
    return (
        select(*(columns[field.name] for field in fields(Holder)))
        .where(
            or_(
                and_(
                    columns.source_schema == bindparam("source_schema"),
                    columns.source_table == bindparam("source_table"),
                    columns.source_id == bindparam("source_id"),
                ),
                and_(
                    columns.vendor_code == bindparam("vendor_code"),
                    columns.vendor_uid == bindparam("vendor_uid"),
                ),
            )
        )
        .with_for_update()
    )


def _one(session: Session, query: Select[Any], lock: bool) -> Any:
    if lock:
        query = query.with_for_update()
    return session.scalars(query.execution_options(populate_existing=True)).first()

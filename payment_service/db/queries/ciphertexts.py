"""The encrypted columns of any table, read and rewritten by id (for `rotate-keys`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Table, delete, func, insert, select, update
from sqlalchemy.orm import Session

from ..models import AtRestSeal

Found = tuple[str, dict[str, str | None]]
"""A row's id and the values of the asked columns."""


def count(session: Session, table: Table) -> int:
    return session.scalar(select(func.count()).select_from(table)) or 0


def after(
    session: Session, table: Table, columns: Sequence[str], after_id: str, limit: int
) -> list[Found]:
    """Up to `limit` rows with an id after `after_id`, in id order (keyset pagination)."""
    return _select(session, table, columns, table.c.id > after_id, limit)


def of_ids(
    session: Session, table: Table, columns: Sequence[str], ids: Sequence[str]
) -> list[Found]:
    return _select(session, table, columns, table.c.id.in_(ids), None)


def _select(
    session: Session,
    table: Table,
    columns: Sequence[str],
    where: ColumnElement[bool],
    limit: int | None,
) -> list[Found]:
    query = select(table.c.id, *(table.c[name] for name in columns)).where(where)
    found = session.execute(query.order_by(table.c.id).limit(limit)).all()
    return [(row.id, dict(zip(columns, row[1:], strict=True))) for row in found]


def rewrite(
    session: Session, table: Table, row_id: str, old: dict[str, str | None], new: dict[str, str]
) -> bool:
    """Write `new` values into the row if its columns still hold `old`; whether it did."""
    unchanged = [table.c[name] == value for name, value in old.items()]
    result = session.execute(update(table).where(table.c.id == row_id, *unchanged).values(**new))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def seal(session: Session, keyring: str, now: datetime) -> None:
    """Note that every value of `keyring` is bound to its place."""
    session.execute(delete(AtRestSeal).where(AtRestSeal.keyring == keyring))
    session.execute(insert(AtRestSeal).values(keyring=keyring, sealed_at=now))


def sealed(session: Session) -> set[str]:
    return set(session.scalars(select(AtRestSeal.keyring)))

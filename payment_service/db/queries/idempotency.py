"""Idempotency keys (`IdempotencyKey`): one row per key of a route."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from ..models import IdempotencyKey
from ..session import Executor
from .inserts import insert_new

_TABLE = IdempotencyKey.__table__
# The columns to set come with the parameters (those named like columns).
_KEEP = update(_TABLE).where(
    _TABLE.c.id == bindparam("key_id"), _TABLE.c.owner == bindparam("key_owner")
)


def locked(session: Session, route: str, key: str) -> IdempotencyKey | None:
    """The route's key, locked until the transaction ends."""
    query = select(IdempotencyKey).where(IdempotencyKey.route == route, IdempotencyKey.key == key)
    return session.scalars(query.with_for_update()).first()


def find(session: Session, route: str, key: str) -> IdempotencyKey | None:
    query = select(IdempotencyKey).where(IdempotencyKey.route == route, IdempotencyKey.key == key)
    return session.scalars(query).first()


def insert_new_key(session: Executor, values: dict[str, Any]) -> bool:
    """Insert a key that no request used yet; False, changing nothing, if its route and key
    are taken (by a row of any age: the caller looks at that one)."""
    return insert_new(session, IdempotencyKey, values, conflict_on=("route", "key"))


def keep_answer(session: Executor, key_id: str, owner: str, **answer: Any) -> bool:
    """Store the final answer of the request that holds the key (`owner`); False, changing
    nothing, when another request took the key over meanwhile. One statement: the update
    locks the row and checks the holder at once. `answer`: status, response, locked_until,
    expires_at, auth_record, auth_hash."""
    result = session.execute(_KEEP, {"key_id": key_id, "key_owner": owner, **answer})
    return result.rowcount == 1  # type: ignore[attr-defined]


def forget(session: Session, row: IdempotencyKey) -> None:
    """Delete the (locked) key now, so that a new row may take its route and key."""
    session.delete(row)
    session.flush()


def locked_by_id(session: Session, key_id: str) -> IdempotencyKey | None:
    return session.get(IdempotencyKey, key_id, with_for_update=True)


def purge(session: Session, now: datetime, batch: int) -> int:
    """Delete up to `batch` keys expired by `now`, the oldest first; return how many."""
    ids = list(
        session.scalars(
            select(IdempotencyKey.id)
            .where(IdempotencyKey.expires_at <= now)
            .order_by(IdempotencyKey.expires_at)
            .limit(batch)
        )
    )
    if ids:
        session.execute(delete(IdempotencyKey).where(IdempotencyKey.id.in_(ids)))
    return len(ids)

"""Idempotency keys (`IdempotencyKey`): one row per key of a route."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..models import IdempotencyKey


def locked(session: Session, route: str, key: str) -> IdempotencyKey | None:
    """The route's key, locked until the transaction ends."""
    query = select(IdempotencyKey).where(IdempotencyKey.route == route, IdempotencyKey.key == key)
    return session.scalars(query.with_for_update()).first()


def find(session: Session, route: str, key: str) -> IdempotencyKey | None:
    query = select(IdempotencyKey).where(IdempotencyKey.route == route, IdempotencyKey.key == key)
    return session.scalars(query).first()


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

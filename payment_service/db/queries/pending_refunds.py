"""Pending refunds (`PaymentHistoryPendingRefund`): asked of the gateway, outcome unknown yet."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from ..models import PaymentHistoryPendingRefund as Pending


def of_payment(session: Session, history_id: str) -> list[tuple[Decimal, datetime]]:
    """(amount, expires_at) of each of the payment's pending refunds."""
    query = select(Pending.amount, Pending.expires_at).where(
        Pending.payment_history_id == history_id
    )
    return [(amount, expires_at) for amount, expires_at in session.execute(query)]


def settle(
    session: Session, history_id: str, pending_id: str | None, fetched_at: datetime | None
) -> None:
    """Delete the payment's pending refund `pending_id`, and, when a re-fetch began at
    `fetched_at`, every one of them whose outcome was unknown by then."""
    settled = Pending.id == pending_id
    if fetched_at is not None:
        settled = or_(settled, Pending.expires_at <= fetched_at)
    session.execute(delete(Pending).where(Pending.payment_history_id == history_id, settled))


def release(session: Session, pending_id: str) -> None:
    session.execute(delete(Pending).where(Pending.id == pending_id))


def mark_unknown(session: Session, pending_id: str, now: datetime) -> None:
    """Make the pending refund due for settlement now."""
    session.execute(update(Pending).where(Pending.id == pending_id).values(expires_at=now))


def unsettled(session: Session, now: datetime, limit: int) -> list[str]:
    """Ids of payments with pending refunds whose outcome is unknown by `now`."""
    query = (
        select(Pending.payment_history_id)
        .where(Pending.expires_at <= now)
        .group_by(Pending.payment_history_id)
        .limit(limit)
    )
    return list(session.scalars(query).all())

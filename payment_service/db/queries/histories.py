"""Payments (`PaymentHistory`) and their refunds as the gateway lists them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, selectinload

from ..models import PaymentHistory, PaymentHistoryCancel
from .claims import CHUNK


def get(session: Session, history_id: str) -> PaymentHistory | None:
    return session.get(PaymentHistory, history_id)


def locked(session: Session, history_id: str) -> PaymentHistory | None:
    """The payment as stored now, locked until the transaction ends."""
    return session.get(PaymentHistory, history_id, with_for_update=True, populate_existing=True)


def cancel_amounts_since(session: Session, history_id: str, sequence: int) -> list[Decimal]:
    """The amounts of the payment's refunds from position `sequence` of the gateway's list on."""
    query = select(PaymentHistoryCancel.amount).where(
        PaymentHistoryCancel.payment_history_id == history_id,
        PaymentHistoryCancel.sequence >= sequence,
    )
    return list(session.scalars(query).all())


def sync_requested(
    session: Session, now: datetime, fetched_before: datetime, limit: int
) -> list[tuple[str, str]]:
    """(id, vendor code) of payments with a gateway event noted for a lease nobody holds, last
    fetched before `fetched_before` (or never)."""
    query = (
        select(PaymentHistory.id, PaymentHistory.vendor_code)
        .where(
            PaymentHistory.sync_requested_at.is_not(None),
            or_(PaymentHistory.sync_lease_until.is_(None), PaymentHistory.sync_lease_until <= now),
            or_(
                PaymentHistory.sync_fetched_at.is_(None),
                PaymentHistory.sync_fetched_at <= fetched_before,
            ),
        )
        .limit(limit)
    )
    return [(history_id, code) for history_id, code in session.execute(query)]


def let_go(session: Session, history_id: str, requested_at: datetime | None) -> None:
    """Release the payment's sync lease, noting a request for another sync if `requested_at`."""
    values: dict[str, Any] = {"sync_lease_until": None}
    if requested_at is not None:
        values["sync_requested_at"] = requested_at
    session.execute(update(PaymentHistory).where(PaymentHistory.id == history_id).values(**values))


def of_window_or_listed(
    session: Session,
    code: str,
    store_id: str | None,
    since: datetime,
    until: datetime,
    uids: Iterable[str],
) -> Iterable[PaymentHistory]:
    """The vendor's payments created in [since, until) (of one store, if given), then those of
    the listed uids, with their cancels loaded; a payment may come twice."""
    conditions: list[Any] = [PaymentHistory.created_at >= since, PaymentHistory.created_at < until]
    if store_id is not None:
        conditions.append(PaymentHistory.vendor_store_id == store_id)
    queries = [select(PaymentHistory).where(PaymentHistory.vendor_code == code, *conditions)]
    listed = sorted(uids)
    for start in range(0, len(listed), CHUNK):
        queries.append(
            select(PaymentHistory).where(
                PaymentHistory.vendor_code == code,
                PaymentHistory.vendor_uid.in_(listed[start : start + CHUNK]),
            )
        )
    for query in queries:
        yield from session.scalars(query.options(selectinload(PaymentHistory.cancels)))

"""What the operator console searches and counts: payments, reservations, webhooks.

Amounts are compared as REAL: SQLite keeps them as text (see `types.Money`), where a text
comparison would put 9000 above 10000; a float is exact enough to filter by.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Float, and_, cast, func, or_, select
from sqlalchemy.orm import Session, selectinload

from ..models import (
    PaymentHistory,
    PaymentHistoryCancel,
    PaymentHistoryWebhook,
    PaymentReservation,
)

PAYMENT_STATUSES = ("paid", "partly_refunded", "refunded", "unpaid_virtual_account", "cancelled")


@dataclass(frozen=True)
class PaymentFilter:
    """Every criterion is optional; given ones must all hold."""

    id: str | None = None
    uid: str | None = None
    source_id: str | None = None
    vendor: str | None = None
    status: str | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    since: datetime | None = None
    until: datetime | None = None


def _amount(column: Any) -> Any:
    return cast(column, Float)


def _status(status: str) -> Any:
    price, refund = _amount(PaymentHistory.price), _amount(func.coalesce(PaymentHistory.refund, 0))
    paid = PaymentHistory.paid_at.is_not(None)
    return {
        "paid": and_(paid, refund <= 0),
        "partly_refunded": and_(paid, refund > 0, refund < price),
        "refunded": and_(paid, refund > 0, refund >= price),
        "unpaid_virtual_account": and_(
            PaymentHistory.paid_at.is_(None), PaymentHistory.cancelled_at.is_(None)
        ),
        "cancelled": and_(
            PaymentHistory.paid_at.is_(None), PaymentHistory.cancelled_at.is_not(None)
        ),
    }[status]


def _conditions(criteria: PaymentFilter) -> list[Any]:
    conditions: list[Any] = []
    if criteria.id:
        conditions.append(PaymentHistory.id == criteria.id)
    if criteria.uid:
        conditions.append(PaymentHistory.vendor_uid == criteria.uid)
    if criteria.source_id:
        conditions.append(PaymentHistory.source_id == criteria.source_id)
    if criteria.vendor:
        conditions.append(PaymentHistory.vendor_code == criteria.vendor)
    if criteria.status:
        conditions.append(_status(criteria.status))
    if criteria.min_amount is not None:
        conditions.append(_amount(PaymentHistory.price) >= float(criteria.min_amount))
    if criteria.max_amount is not None:
        conditions.append(_amount(PaymentHistory.price) <= float(criteria.max_amount))
    if criteria.since is not None:
        conditions.append(PaymentHistory.created_at >= criteria.since)
    if criteria.until is not None:
        conditions.append(PaymentHistory.created_at < criteria.until)
    return conditions


def payments(
    session: Session, criteria: PaymentFilter, *, offset: int, limit: int
) -> tuple[list[PaymentHistory], int]:
    """One page of matching payments, the newest first, and how many match in all."""
    conditions = _conditions(criteria)
    query = (
        select(PaymentHistory)
        .where(*conditions)
        .order_by(PaymentHistory.created_at.desc(), PaymentHistory.id.desc())
        .offset(offset)
        .limit(limit)
    )
    total = session.scalar(select(func.count()).select_from(PaymentHistory).where(*conditions))
    return list(session.scalars(query)), int(total or 0)


def payments_after(
    session: Session, criteria: PaymentFilter, after: tuple[datetime, str] | None, limit: int
) -> list[PaymentHistory]:
    """The next `limit` matching payments, the newest first, after the (created_at, id) of
    the last one read: the export's batches, each read in a short unit of work."""
    conditions = _conditions(criteria)
    if after is not None:
        created_at, last_id = after
        conditions.append(
            or_(
                PaymentHistory.created_at < created_at,
                and_(PaymentHistory.created_at == created_at, PaymentHistory.id < last_id),
            )
        )
    query = (
        select(PaymentHistory)
        .where(*conditions)
        .order_by(PaymentHistory.created_at.desc(), PaymentHistory.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def payment_with_history(session: Session, history_id: str) -> PaymentHistory | None:
    """The payment with its refunds, and its webhooks with every delivery attempt."""
    return session.get(PaymentHistory, history_id, options=[selectinload(PaymentHistory.cancels)])


def webhooks_of_payment(session: Session, history_id: str) -> list[PaymentHistoryWebhook]:
    query = (
        select(PaymentHistoryWebhook)
        .where(PaymentHistoryWebhook.payment_history_id == history_id)
        .options(selectinload(PaymentHistoryWebhook.responses))
        .order_by(PaymentHistoryWebhook.created_at)
    )
    return list(session.scalars(query))


def reservations(
    session: Session,
    *,
    uid: str | None,
    source_id: str | None,
    vendor: str | None,
    offset: int,
    limit: int,
) -> tuple[list[PaymentReservation], int]:
    conditions: list[Any] = []
    if uid:
        conditions.append(PaymentReservation.vendor_uid == uid)
    if source_id:
        conditions.append(PaymentReservation.source_id == source_id)
    if vendor:
        conditions.append(PaymentReservation.vendor_code == vendor)
    query = (
        select(PaymentReservation)
        .where(*conditions)
        .order_by(PaymentReservation.created_at.desc(), PaymentReservation.id.desc())
        .offset(offset)
        .limit(limit)
    )
    total = session.scalar(select(func.count()).select_from(PaymentReservation).where(*conditions))
    return list(session.scalars(query)), int(total or 0)


def webhooks(
    session: Session,
    *,
    status: str | None,
    payment_id: str | None,
    offset: int,
    limit: int,
) -> tuple[list[tuple[PaymentHistoryWebhook, str]], int]:
    """Outgoing webhooks, the newest first, each with its payment's webhook_url."""
    conditions: list[Any] = []
    if status:
        conditions.append(PaymentHistoryWebhook.status == status)
    if payment_id:
        conditions.append(PaymentHistoryWebhook.payment_history_id == payment_id)
    query = (
        select(PaymentHistoryWebhook, PaymentHistory.webhook_url)
        .join(PaymentHistory, PaymentHistory.id == PaymentHistoryWebhook.payment_history_id)
        .where(*conditions)
        .order_by(PaymentHistoryWebhook.created_at.desc(), PaymentHistoryWebhook.id.desc())
        .offset(offset)
        .limit(limit)
    )
    total = session.scalar(
        select(func.count()).select_from(PaymentHistoryWebhook).where(*conditions)
    )
    return [(webhook, url) for webhook, url in session.execute(query)], int(total or 0)


def webhook_ids(session: Session, *, status: str, payment_id: str | None) -> list[str]:
    """The ids of every webhook in `status` (of one payment, if given)."""
    query = select(PaymentHistoryWebhook.id).where(PaymentHistoryWebhook.status == status)
    if payment_id:
        query = query.where(PaymentHistoryWebhook.payment_history_id == payment_id)
    return list(session.scalars(query))


def payments_since(session: Session, since: datetime) -> list[tuple[str, datetime]]:
    """(vendor code, created_at) of the payments created since `since` (the overview's hours)."""
    query = select(PaymentHistory.vendor_code, PaymentHistory.created_at).where(
        PaymentHistory.created_at >= since
    )
    return [(code, at) for code, at in session.execute(query)]


def refunds_since(session: Session, since: datetime) -> list[tuple[str, datetime]]:
    """(vendor code, created_at) of the refunds made since `since`."""
    query = (
        select(PaymentHistory.vendor_code, PaymentHistoryCancel.created_at)
        .join(PaymentHistory, PaymentHistory.id == PaymentHistoryCancel.payment_history_id)
        .where(PaymentHistoryCancel.created_at >= since)
    )
    return [(code, at) for code, at in session.execute(query)]

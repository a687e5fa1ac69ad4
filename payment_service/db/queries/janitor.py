"""The janitor's statements: records in doubt (claims, refunds, awaited payments) and its own
checks (`JanitorCheck`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from ..models import JanitorCheck, PaymentHistory, PaymentHistoryClaim, new_id
from ..models import PaymentHistoryPendingRefund as Pending
from .claims import CHARGE_PREFIX
from .inserts import insert_new

# Records read per kind and round: more wait for the next round.
LIMIT = 500


@dataclass(frozen=True)
class Doubt:
    """A record in doubt: what it is, whose, and since when."""

    kind: str  # "claim", "refund", "payment"
    record_id: str
    vendor_code: str
    vendor_uid: str
    since: datetime


def abandoned_claims(session: Session, claimed_before: datetime) -> list[Doubt]:
    """Claims made before `claimed_before`: registrations whose request died or timed out."""
    query = (
        select(
            PaymentHistoryClaim.id,
            PaymentHistoryClaim.vendor_code,
            PaymentHistoryClaim.vendor_uid,
            PaymentHistoryClaim.created_at,
        )
        .where(
            PaymentHistoryClaim.created_at <= claimed_before,
            # A saved-card charge's claim names no gateway uid to look up: the charge's own
            # retry (or its schedule's next round) settles it from the gateway by its order.
            ~PaymentHistoryClaim.vendor_uid.startswith(CHARGE_PREFIX, autoescape=True),
        )
        .order_by(PaymentHistoryClaim.created_at)
        .limit(LIMIT)
    )
    return [Doubt("claim", *row) for row in session.execute(query)]


def unknown_refunds(session: Session, now: datetime) -> list[Doubt]:
    """Payments with refunds whose outcome is unknown by `now`, since the first became so."""
    query = (
        select(
            PaymentHistory.id,
            PaymentHistory.vendor_code,
            PaymentHistory.vendor_uid,
            func.min(Pending.expires_at),
        )
        .join(Pending, Pending.payment_history_id == PaymentHistory.id)
        .where(Pending.expires_at <= now)
        .group_by(PaymentHistory.id, PaymentHistory.vendor_code, PaymentHistory.vendor_uid)
        .limit(LIMIT)
    )
    return [Doubt("refund", *row) for row in session.execute(query)]


def awaited_payments(
    session: Session, vendor_code: str, now: datetime, silent_since: datetime
) -> list[Doubt]:
    """The vendor's payments still awaited (a deposit) that are past due, or whose gateway
    record was not read since `silent_since` (its webhooks may be lost for good)."""
    last_read = func.coalesce(
        PaymentHistory.synced_at, PaymentHistory.confirmed_at, PaymentHistory.created_at
    )
    query = (
        select(
            PaymentHistory.id,
            PaymentHistory.vendor_code,
            PaymentHistory.vendor_uid,
            PaymentHistory.due_at,
            last_read,
        )
        .where(
            PaymentHistory.vendor_code == vendor_code,
            PaymentHistory.due_at.is_not(None),
            or_(PaymentHistory.due_at <= now, last_read <= silent_since),
        )
        .order_by(PaymentHistory.due_at)
        .limit(LIMIT)
    )
    found = []
    for history_id, code, uid, due_at, read_at in session.execute(query):
        since = due_at if due_at <= now else read_at
        found.append(Doubt("payment", history_id, code, uid, since))
    return found


def refund_unknown(session: Session, history_id: str, now: datetime) -> bool:
    """Whether the payment still has a refund whose outcome is unknown by `now`."""
    query = select(Pending.id).where(
        Pending.payment_history_id == history_id, Pending.expires_at <= now
    )
    return session.scalar(query.limit(1)) is not None


def past_due(session: Session, history_id: str, now: datetime) -> bool:
    """Whether the payment is still awaited past its due date."""
    query = select(PaymentHistory.id).where(
        PaymentHistory.id == history_id, PaymentHistory.due_at <= now
    )
    return session.scalar(query) is not None


# -- the janitor's own checks ------------------------------------------------------------


def tracked(session: Session) -> list[JanitorCheck]:
    return list(session.scalars(select(JanitorCheck)).all())


def track(session: Session, doubt: Doubt, first_check_at: datetime) -> None:
    """Start checking a record in doubt (first at `first_check_at`); a record tracked already
    is left as it is, even when another housekeeper inserted it a moment ago."""
    values = dict(
        id=new_id(),
        kind=doubt.kind,
        record_id=doubt.record_id,
        vendor_code=doubt.vendor_code,
        vendor_uid=doubt.vendor_uid,
        in_doubt_since=doubt.since,
        checks=0,
        next_check_at=first_check_at,
    )
    insert_new(session, JanitorCheck, values, conflict_on=("kind", "record_id"))


def forget(session: Session, check_ids: list[str]) -> None:
    if check_ids:
        session.execute(delete(JanitorCheck).where(JanitorCheck.id.in_(check_ids)))


def due(session: Session, now: datetime, limit: int = LIMIT) -> list[str]:
    """Checks due by `now` (never those given up)."""
    query = (
        select(JanitorCheck.id)
        .where(JanitorCheck.next_check_at <= now, JanitorCheck.gave_up_at.is_(None))
        .order_by(JanitorCheck.next_check_at)
        .limit(limit)
    )
    return list(session.scalars(query).all())


def locked(session: Session, check_id: str) -> JanitorCheck | None:
    return session.get(JanitorCheck, check_id, with_for_update=True, populate_existing=True)


def of_record(session: Session, kind: str, record_id: str) -> JanitorCheck | None:
    query = select(JanitorCheck).where(
        JanitorCheck.kind == kind, JanitorCheck.record_id == record_id
    )
    return session.scalars(query).first()


def count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(JanitorCheck)) or 0)

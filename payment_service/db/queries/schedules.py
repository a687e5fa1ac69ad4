"""Schedules (`PaymentSchedule`) and their periods (`PaymentSchedulePeriod`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ..models import PaymentSchedule as Schedule
from ..models import PaymentSchedulePeriod as Period

# Period statuses the housekeeper still charges.
CHARGEABLE = ("pending", "retrying")


def get(session: Session, schedule_id: str) -> Schedule | None:
    return session.get(Schedule, schedule_id.lower())


def locked(session: Session, schedule_id: str) -> Schedule | None:
    """The schedule as stored now, locked until the transaction ends."""
    return session.get(Schedule, schedule_id, with_for_update=True, populate_existing=True)


def locked_period(session: Session, period_id: str) -> Period | None:
    return session.get(Period, period_id, with_for_update=True, populate_existing=True)


def due_to_open(session: Session, now: datetime, limit: int) -> list[str]:
    """Schedules (not cancelled) whose next period has fallen due."""
    query = (
        select(Schedule.id)
        .where(Schedule.status != "cancelled", Schedule.next_at <= now)
        .order_by(Schedule.next_at)
        .limit(limit)
    )
    return list(session.scalars(query))


def due_periods(session: Session, now: datetime, limit: int) -> list[str]:
    """Periods to charge now: due, and not leased by a living attempt."""
    query = (
        select(Period.id)
        .where(
            Period.status.in_(CHARGEABLE),
            Period.next_attempt_at <= now,
            or_(Period.leased_until.is_(None), Period.leased_until <= now),
        )
        .order_by(Period.next_attempt_at)
        .limit(limit)
    )
    return list(session.scalars(query))


def count_by_status(session: Session) -> dict[str, int]:
    query = select(Schedule.status, func.count()).group_by(Schedule.status)
    return {status: int(number) for status, number in session.execute(query)}

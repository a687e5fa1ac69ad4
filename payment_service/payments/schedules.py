"""Schedules: a saved card charged every month, week or day, with retries after a decline
(docs/subscriptions.md). Created, read and cancelled through the API; charged by the
housekeeper (`charge_due`, a job of `housekeeping.JOBS`), never by a request.

Each period is charged exactly once:

* a period is *opened* (a row, unique per schedule and sequence) when it falls due, under the
  schedule's lock, so two housekeepers never open it twice;
* a housekeeper *leases* a due period before charging it; a second housekeeper skips it while
  the lease runs;
* the charge is a saved-card charge for the order named by the period's id
  (`charges.charge_saved`): the order is claimed before the gateway is asked, and the paid
  payment is recorded in the same transaction that marks the period paid;
* a housekeeper that dies mid-charge leaves its lease and its claim; once the lease has run
  out, the next attempt takes the claim over and asks the gateway whether the order was paid
  before charging it (`BillingCharge.resume`), so a crash never charges twice.

A declined period is tried again after each of the schedule's `retries` (counted from its due
time); after the last one it is `failed` and the schedule `past_due`, until a charge succeeds
again.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..db import PaymentHistory, PaymentReservation, PaymentSchedule, PaymentSchedulePeriod
from ..db.queries import records
from ..db.queries import schedules as stored
from ..delivery.outbox import enqueue_schedule_event
from ..errors import Conflict, NotFound, ServiceError
from ..runtime import Runtime
from ..vendors import ChargeDeclined
from . import access, charges
from .calendar import occurrence, parse_duration
from .histories import CLAIM_TIMEOUT
from .inputs import NewCharge, NewSchedule, Source
from .reservations import WHAT as RESERVATION
from .views import iso

log = logging.getLogger(__name__)

WHAT = "payment schedule"
# The source of a schedule's payments: the period is the order each one pays.
SOURCE_SCHEMA = "payment_service"
SOURCE_TABLE = "payment_schedule_periods"
# A housekeeper's hold on a period it charges: longer than a claim lives, so that the attempt
# after a crash finds the claim old enough to take over.
LEASE = CLAIM_TIMEOUT + timedelta(minutes=1)
BATCH = 100
# Periods opened per schedule and round: a schedule far behind catches up over a few rounds.
MAX_OPENED = 24


# -- the API ---------------------------------------------------------------------------------


def create(runtime: Runtime, reservation_id: str, new: NewSchedule) -> dict[str, Any]:
    """Schedule charges of the reservation's saved card (its password checked)."""
    with runtime.database.reading() as session:
        row = records.by_id(session, PaymentReservation, reservation_id)
        hashed = None if row is None else row.password
    access.verify(new.password, hashed, RESERVATION, record_id=reservation_id.lower())
    with runtime.database.transaction() as session:
        reservation = records.by_id(session, PaymentReservation, reservation_id)
        if reservation is None or reservation.password != hashed:
            raise Conflict("The reservation changed while the request was checked; send it again.")
        schedule = PaymentSchedule(
            reservation_id=reservation.id,
            price=new.price,
            title=new.title,
            every=new.every,
            first_at=new.first_at,
            retries=json.dumps(list(new.retries_text)),
            webhook_url=new.webhook_url,
            # The reservation's hash: the same password opens the schedule and its payments.
            password=reservation.password,
            status="active",
            next_sequence=0,
            next_at=new.first_at,
            created_at=runtime.clock(),
        )
        session.add(schedule)
        session.flush()
        return schedule_view(schedule, [])


def get(runtime: Runtime, schedule_id: str, password: str) -> dict[str, Any]:
    with runtime.database.reading() as session:
        row = stored.get(session, schedule_id)
        found = None if row is None else (row.password, schedule_view(row, row.periods))
    _verify(password, found[0] if found else None, schedule_id)
    assert found is not None
    return found[1]


def cancel(runtime: Runtime, schedule_id: str, password: str) -> dict[str, Any]:
    """Stop the schedule: no period opens any more, and none still due is charged."""
    with runtime.database.reading() as session:
        row = stored.get(session, schedule_id)
        hashed = None if row is None else row.password
    _verify(password, hashed, schedule_id)
    with runtime.database.transaction() as session:
        schedule = stored.locked(session, schedule_id.lower())
        if schedule is None:
            raise NotFound(f"No {WHAT} found.")
        was = schedule.status
        if was != "cancelled":
            schedule.status = "cancelled"
            schedule.cancelled_at = runtime.clock()
        for period in schedule.periods:
            if period.status in stored.CHARGEABLE and period.leased_until is None:
                period.status = "cancelled"
                period.next_attempt_at = None
        session.flush()
        reported = _report_status(runtime, session, schedule, was)
        view = schedule_view(schedule, schedule.periods)
    if reported:
        runtime.outbox_written()
    return view


def _verify(password: str, hashed: str | None, schedule_id: str) -> None:
    access.verify(password, hashed, WHAT, record_id=schedule_id.lower())


def schedule_view(row: PaymentSchedule, periods: list[PaymentSchedulePeriod]) -> dict[str, Any]:
    return {
        "id": row.id,
        "reservation_id": row.reservation_id,
        "price": row.price,
        "title": row.title,
        "every": row.every,
        "first_at": iso(row.first_at),
        "next_at": None if row.status == "cancelled" else iso(row.next_at),
        "status": row.status,
        "retries": json.loads(row.retries),
        "webhook_url": row.webhook_url,
        "created_at": iso(row.created_at),
        "cancelled_at": iso(row.cancelled_at),
        "periods": [period_view(period) for period in periods],
    }


def period_view(period: PaymentSchedulePeriod) -> dict[str, Any]:
    error = json.loads(period.last_error) if period.last_error else None
    return {
        "id": period.id,
        "sequence": period.sequence,
        "due_at": iso(period.due_at),
        "status": period.status,
        "attempts": period.attempts,
        "next_attempt_at": iso(period.next_attempt_at),
        "history_id": period.history_id,
        "error": error,
    }


# -- the housekeeper's job ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Work:
    """A leased period and what its charge needs."""

    period_id: str
    sequence: int
    schedule_id: str
    card: charges.SavedCard
    price: Decimal
    title: str
    webhook_url: str
    password_hash: str
    resumed: bool


def charge_due(runtime: Runtime) -> int:
    """Open every period that has fallen due and charge every due period once; returns how
    many charges were attempted. Safe to run in several housekeepers at once."""
    now = runtime.clock()
    _open_due_periods(runtime, now)
    with runtime.database.reading() as session:
        due = stored.due_periods(session, now, BATCH)
    attempted = 0
    for period_id in due:
        work = _lease(runtime, period_id, now)
        if work is not None:
            _charge(runtime, work, now)
            attempted += 1
    return attempted


def _open_due_periods(runtime: Runtime, now: datetime) -> None:
    with runtime.database.reading() as session:
        due = stored.due_to_open(session, now, BATCH)
    for schedule_id in due:
        try:
            with runtime.database.transaction() as session:
                schedule = stored.locked(session, schedule_id)
                opened = 0
                while (
                    schedule is not None
                    and schedule.status != "cancelled"
                    and schedule.next_at <= now
                    and opened < MAX_OPENED
                ):
                    session.add(
                        PaymentSchedulePeriod(
                            schedule_id=schedule.id,
                            sequence=schedule.next_sequence,
                            due_at=schedule.next_at,
                            status="pending",
                            attempts=0,
                            next_attempt_at=schedule.next_at,
                            created_at=now,
                        )
                    )
                    schedule.next_sequence += 1
                    schedule.next_at = occurrence(
                        schedule.first_at, schedule.every, schedule.next_sequence
                    )
                    opened += 1
        except IntegrityError:
            # Another housekeeper opened the same period first: it is there either way.
            log.info("schedule %s: period opened by another housekeeper", schedule_id)


def _lease(runtime: Runtime, period_id: str, now: datetime) -> _Work | None:
    with runtime.database.transaction() as session:
        seen = session.get(PaymentSchedulePeriod, period_id)
        if seen is None:
            return None
        # The schedule first, then the period: the order every writer of both follows.
        schedule = stored.locked(session, seen.schedule_id)
        period = stored.locked_period(session, period_id)
        if schedule is None or period is None:
            return None
        if schedule.status == "cancelled":
            # Left chargeable by an attempt that was running when the schedule was cancelled
            # and never finished: nothing more is charged for it.
            if period.status in stored.CHARGEABLE:
                period.status = "cancelled"
                period.next_attempt_at = None
            return None
        due = period.next_attempt_at is not None and period.next_attempt_at <= now
        held = period.leased_until is not None and period.leased_until > now
        if period.status not in stored.CHARGEABLE or not due or held:
            return None
        reservation = session.get(PaymentReservation, schedule.reservation_id)
        if reservation is None:
            return None
        # A lease left behind is an attempt that died: what it did is settled, not redone.
        resumed = period.leased_until is not None
        period.leased_until = now + LEASE
        return _Work(
            period_id=period.id,
            sequence=period.sequence,
            schedule_id=schedule.id,
            card=charges.saved_card(reservation),
            price=schedule.price,
            title=schedule.title,
            webhook_url=schedule.webhook_url,
            password_hash=schedule.password,
            resumed=resumed,
        )


def _charge(runtime: Runtime, work: _Work, now: datetime) -> None:
    new = NewCharge(
        source=Source(SOURCE_SCHEMA, SOURCE_TABLE, work.period_id),
        password="",
        price=work.price,
        title=work.title,
        webhook_url=work.webhook_url,
    )

    reported: list[bool] = []

    def paid(session: Session, history: PaymentHistory) -> None:
        reported.append(_mark_paid(runtime, session, work, history.id))

    event = {"type": "schedule.charge", "schedule_id": work.schedule_id, "period": work.sequence}
    try:
        charges.charge_saved(
            runtime,
            work.card,
            new,
            resume=work.resumed,
            event=event,
            password_hash=work.password_hash,
            on_recorded=paid,
        )
        if any(reported):
            runtime.outbox_written()
    except ChargeDeclined as declined:
        _declined(runtime, work, {"code": declined.code, "message": declined.message})
    except Conflict:
        # The order is recorded already (the attempt before recorded it, then died before
        # the period said so), or claimed by an attempt still running: settle or wait.
        _settle_recorded(runtime, work)
    except Exception as error:
        if charges.outcome_unknown(error):
            # The gateway may have charged: the lease runs out and the next round settles it.
            log.warning("schedule %s period %d: %s", work.schedule_id, work.sequence, error)
        elif isinstance(error, ServiceError) and 400 <= error.status < 500:
            # A refusal that is not the card's (e.g. the reservation's store is no longer
            # configured): counted like a decline, so the schedule does not retry forever.
            _declined(runtime, work, {"code": None, "message": error.message})
        else:
            log.exception("schedule %s period %d failed", work.schedule_id, work.sequence)


def _mark_paid(runtime: Runtime, session: Session, work: _Work, history_id: str) -> bool:
    """Mark the period paid by the payment `history_id`; whether an event was written."""
    schedule = stored.locked(session, work.schedule_id)
    period = stored.locked_period(session, work.period_id)
    if period is None or schedule is None:
        return False
    period.status = "paid"
    period.history_id = history_id
    period.attempts += 1
    period.next_attempt_at = None
    period.leased_until = None
    period.last_error = None
    was = schedule.status
    if was == "past_due":
        schedule.status = "active"
    session.flush()
    return _report_status(runtime, session, schedule, was)


def _report_status(runtime: Runtime, session: Session, schedule: PaymentSchedule, was: str) -> bool:
    """Report a change of the schedule's status (`schedule.status`), if it changed."""
    if schedule.status == was:
        return False
    current = schedule_view(schedule, schedule.periods)
    event = {"type": "schedule.status"}
    enqueue_schedule_event(
        session, schedule, {"status": was}, current, event, runtime.settings, runtime.clock()
    )
    return True


def _declined(runtime: Runtime, work: _Work, error: dict[str, Any]) -> None:
    """Count the declined attempt, schedule the next retry or fail the period, and report
    both (`schedule.declined`, and `schedule.status` when it became past_due)."""
    with runtime.database.transaction() as session:
        schedule = stored.locked(session, work.schedule_id)
        period = stored.locked_period(session, work.period_id)
        if schedule is None or period is None or period.status not in stored.CHARGEABLE:
            return
        was = schedule.status
        period.attempts += 1
        period.leased_until = None
        period.last_error = json.dumps(error, ensure_ascii=False)
        retries = json.loads(schedule.retries)
        if period.attempts <= len(retries) and schedule.status != "cancelled":
            period.status = "retrying"
            period.next_attempt_at = period.due_at + parse_duration(retries[period.attempts - 1])
        else:
            period.status = "failed"
            period.next_attempt_at = None
            if schedule.status != "cancelled":
                schedule.status = "past_due"
        session.flush()
        event = {"type": "schedule.declined", "period": period_view(period)}
        current = schedule_view(schedule, schedule.periods)
        enqueue_schedule_event(
            session, schedule, {"status": was}, current, event, runtime.settings, runtime.clock()
        )
        _report_status(runtime, session, schedule, was)
    runtime.outbox_written()


def _settle_recorded(runtime: Runtime, work: _Work) -> None:
    source = Source(SOURCE_SCHEMA, SOURCE_TABLE, work.period_id)
    with runtime.database.transaction() as session:
        history = records.by_source(session, PaymentHistory, source)
        reported = history is not None and _mark_paid(runtime, session, work, history.id)
    if reported:
        runtime.outbox_written()


def count_by_status(runtime: Runtime) -> dict[str, int]:
    with runtime.database.reading() as session:
        return stored.count_by_status(session)

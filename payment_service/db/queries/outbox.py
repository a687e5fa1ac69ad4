"""The outbox: outgoing webhooks (`PaymentHistoryWebhook`) and their delivery attempts.

A row reports a change of a payment (`payment_history_id`) or an event of a schedule
(`schedule_id`); either is its *subject*, whose `webhook_url` it goes to and whose rows are
delivered in order."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Insert,
    Integer,
    Select,
    Update,
    bindparam,
    exists,
    false,
    func,
    insert,
    or_,
    select,
    true,
    tuple_,
    update,
)
from sqlalchemy.orm import Session, aliased

from ..models import (
    PaymentHistory,
    PaymentHistoryWebhook,
    PaymentHistoryWebhookResponse,
    PaymentSchedule,
)

Row = PaymentHistoryWebhook
Subject = PaymentHistory | PaymentSchedule
# Where a row goes: its payment's webhook_url, or its schedule's.
TARGET_URL = func.coalesce(PaymentHistory.webhook_url, PaymentSchedule.webhook_url)


def latest_of_payment(session: Session, history_id: str) -> datetime | None:
    """When the payment's newest webhook was created."""
    query = select(func.max(Row.created_at)).where(Row.payment_history_id == history_id)
    return session.scalar(query)


def latest_of_schedule(session: Session, schedule_id: str) -> datetime | None:
    """When the schedule's newest event was created."""
    query = select(func.max(Row.created_at)).where(Row.schedule_id == schedule_id)
    return session.scalar(query)


def _relaxed(postgres: bool, statement: Update) -> Update:
    """`statement`, which on PostgreSQL also lets its transaction commit without waiting for
    the WAL flush: `SET LOCAL synchronous_commit = off`, as `set_config(…, true)` returned by
    a statement the transaction runs anyway rather than a round trip of its own (the setting
    only has to come before the commit). Evaluated for each row it changes: when it changes
    none, the transaction commits as usual. A Core statement (no ORM session sync needed)."""
    if not postgres:
        return statement
    return statement.returning(func.set_config("synchronous_commit", "off", true()))


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def lease_due(
    session: Session,
    now: datetime,
    limit: int,
    skip_receivers: Iterable[str],
    lease_until: datetime,
    holder: str,
    *,
    look_ahead: int = 0,
) -> tuple[list[tuple[PaymentHistoryWebhook, Subject]], list[str]]:
    """Lease up to `limit` due webhooks to `holder`, with their subjects: the oldest first,
    none for a receiver of `skip_receivers` (`delivery.dispatcher.receiver_key`), and for each
    subject only its oldest pending one (a payment's webhooks are delivered in order, and so
    are a schedule's).

    Also returns the `webhook_url`s of up to `look_ahead` more due rows (read, not leased), so
    that a sender wakes another thread only when there is something it may take.

    On PostgreSQL, rows another dispatcher is leasing right now are skipped (SKIP LOCKED)
    rather than waited for; SQLite runs one writing transaction at a time anyway.

    PostgreSQL commits the lease without waiting for its WAL flush (`synchronous_commit =
    off` for this transaction only): the lease is visible to every other sender at once, and
    the flush it skips (milliseconds of fsync) sits between a commit and its webhook's
    request. A crash of the database server may forget a lease of its last fraction of a
    second; the row is then simply due again, delivered at least once as always."""
    postgres = _is_postgres(session)
    skipped = list(skip_receivers)
    parameters: dict[str, Any] = {"now": now, "limit": limit + look_ahead}
    for number, key in enumerate(skipped):
        escaped = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        parameters[f"skip_{number}"] = key
        for end, suffix in _URL_ENDS.items():
            parameters[f"skip_{number}_{suffix}"] = f"{escaped}{end}%"
    rows = [
        (webhook, history if history is not None else schedule)
        for webhook, history, schedule in session.execute(
            _due_query(postgres, len(skipped)), parameters
        )
        if history is not None or schedule is not None
    ]
    found = rows[:limit]
    if found:
        leased = {"ids": [webhook.id for webhook, _ in found], "until": lease_until}
        session.execute(_lease_statement(postgres), {**leased, "holder": holder})
    return found, [subject.webhook_url for _, subject in rows[limit:]]


# A receiver's URLs: the key itself, or the key followed by one of these (and anything).
_URL_ENDS = {"/": "path", "?": "query", "#": "fragment"}


@cache
def _due_query(postgres: bool, skipped: int) -> Select[Any]:
    """The claim's statement, built once per shape (building it — an aliased subquery, a
    dozen comparisons — cost more CPU than running it): parameters `now`, `limit`, and for
    each of the `skipped` receivers `skip_N` with its `skip_N_path`/`_query`/`_fragment`
    LIKE patterns."""
    older = aliased(PaymentHistoryWebhook)
    blocked = exists().where(
        # NULL never equals NULL: a payment's rows are compared by payment, a schedule's by
        # schedule.
        or_(
            older.payment_history_id == Row.payment_history_id,
            older.schedule_id == Row.schedule_id,
        ),
        older.status == "pending",
        tuple_(older.created_at, older.id) < tuple_(Row.created_at, Row.id),
    )
    now = bindparam("now", type_=Row.next_attempt_at.type)
    query = (
        select(Row, PaymentHistory, PaymentSchedule)
        .outerjoin(PaymentHistory, PaymentHistory.id == Row.payment_history_id)
        .outerjoin(PaymentSchedule, PaymentSchedule.id == Row.schedule_id)
        .where(
            Row.status == "pending",
            Row.next_attempt_at <= now,
            or_(Row.claimed_until.is_(None), Row.claimed_until < now),
            ~blocked,
            ~or_(false(), *(_of_receiver(number) for number in range(skipped))),
        )
        .order_by(Row.next_attempt_at, Row.created_at)
        .limit(bindparam("limit", type_=Integer()))
    )
    if postgres:
        query = query.with_for_update(skip_locked=True, of=Row)
    return query


@cache
def _lease_statement(postgres: bool) -> Update:
    """Lease rows `ids` to `holder` until `until` (built once; see `_due_query`)."""
    table = Row.__table__
    lease = (
        update(table)
        .where(table.c.id.in_(bindparam("ids", expanding=True)))
        .values(claimed_until=bindparam("until"), claimed_by=bindparam("holder"))
    )
    return _relaxed(postgres, lease)


def _of_receiver(number: int) -> ColumnElement[bool]:
    """The subject's webhook_url belongs to skipped receiver `number` (its key, then end,
    `/`, `?` or `#`)."""
    url = TARGET_URL
    key = f"skip_{number}"
    return or_(
        url == bindparam(key),
        *(url.like(bindparam(f"{key}_{suffix}"), escape="\\") for suffix in _URL_ENDS.values()),
    )


def unlease(session: Session, webhook_id: str, holder: str) -> None:
    """Give back a lease `holder` took but will not use."""
    session.execute(
        update(Row)
        .where(Row.id == webhook_id, Row.claimed_by == holder)
        .values(claimed_until=None, claimed_by=None)
    )


def with_payment(session: Session, webhook_id: str) -> tuple[PaymentHistoryWebhook, Subject] | None:
    """The webhook with its subject (its payment, or its schedule)."""
    webhook = session.get(Row, webhook_id)
    if webhook is None:
        return None
    subject: Subject | None
    if webhook.payment_history_id is not None:
        subject = session.get(PaymentHistory, webhook.payment_history_id)
    else:
        subject = session.get(PaymentSchedule, webhook.schedule_id or "")
    return (webhook, subject) if subject is not None else None


def record_attempt(
    session: Session,
    webhook_id: str,
    response: dict[str, Any],
    changes: dict[str, Any],
) -> None:
    """Keep the attempt (`response`: its status, body, error, duration_ms and created_at),
    count it, and apply `changes` (column: value) to the webhook, if it is still pending (another
    dispatcher may have settled it after our lease ran out: its verdict stands).

    On PostgreSQL, without waiting for the WAL flush either (see `lease_due`): the attempt
    already happened, and a crash of the database server in the fraction of a second before
    the flush may only forget that it did — the webhook is then sent again (at least once,
    as receivers are told to expect), never lost."""
    # Core statements built once, not the ORM's unit of work: nothing here is read back, and
    # a sender records an attempt per webhook.
    postgres = _is_postgres(session)
    session.execute(_attempt_statement(), {"payment_history_webhook_id": webhook_id, **response})
    record = _record_statement(postgres, tuple(sorted(changes)))
    session.execute(
        record, {"webhook_id": webhook_id, **{f"new_{k}": v for k, v in changes.items()}}
    )


@cache
def _attempt_statement() -> Insert:
    return insert(PaymentHistoryWebhookResponse.__table__)


@cache
def _record_statement(postgres: bool, columns: tuple[str, ...]) -> Update:
    """Count one more attempt of webhook `webhook_id` and set `columns` (each from the
    parameter `new_<column>`), while it is pending."""
    table = Row.__table__
    record = (
        update(table)
        .where(table.c.id == bindparam("webhook_id"), table.c.status == "pending")
        .values(
            {table.c.attempts: table.c.attempts + 1}
            | {table.c[column]: bindparam(f"new_{column}") for column in columns}
        )
    )
    return _relaxed(postgres, record)


def newest(
    session: Session, status: str | None, limit: int
) -> list[tuple[PaymentHistoryWebhook, str]]:
    """The newest webhooks first, optionally only those in `status`, each with its subject's
    `webhook_url` (where it goes)."""
    query = (
        select(Row, TARGET_URL)
        .outerjoin(PaymentHistory, PaymentHistory.id == Row.payment_history_id)
        .outerjoin(PaymentSchedule, PaymentSchedule.id == Row.schedule_id)
        .order_by(Row.created_at.desc(), Row.id.desc())
        .limit(limit)
    )
    if status is not None:
        query = query.where(Row.status == status)
    return [(webhook, url) for webhook, url in session.execute(query)]


def existing_ids(session: Session, ids: list[str]) -> set[str]:
    return set(session.scalars(select(Row.id).where(Row.id.in_(ids))))


def requeue(session: Session, ids: list[str] | None, now: datetime, deadline_at: datetime) -> int:
    """Make the given webhooks (any status), or every failed one when `ids` is None, due now
    with a fresh deadline; return how many."""
    condition = Row.status == "failed" if ids is None else Row.id.in_(ids)
    result = session.execute(
        update(Row)
        .where(condition)
        .values(
            status="pending",
            next_attempt_at=now,
            deadline_at=deadline_at,
            claimed_until=None,
            claimed_by=None,
        )
    )
    return result.rowcount or 0  # type: ignore[attr-defined]


def has_pending(session: Session) -> bool:
    return session.scalar(select(Row.id).where(Row.status == "pending").limit(1)) is not None


def by_status(session: Session, statuses: Iterable[str] | None = None) -> dict[str, int]:
    """How many webhooks are in each status (only `statuses`, through the status index)."""
    query = select(Row.status, func.count()).group_by(Row.status)
    if statuses is not None:
        query = query.where(Row.status.in_(tuple(statuses)))
    return {status: count for status, count in session.execute(query)}


def oldest_pending(session: Session) -> datetime | None:
    return session.scalar(select(func.min(Row.created_at)).where(Row.status == "pending"))

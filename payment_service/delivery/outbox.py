"""Writing outgoing webhooks: a row in the same transaction as the change it reports.

Nothing is sent here; the dispatcher delivers due rows. So a change is never reported unless
it was committed, and never lost once it was, whatever happens to this process next.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from ..db import PaymentHistory, PaymentHistoryWebhook, PaymentSchedule
from ..db.models import new_id
from ..db.notifications import notify_outbox
from ..db.places import place_of
from ..db.queries import outbox
from ..observability import request_ids
from ..settings import Settings


def enqueue(
    session: Session,
    history: PaymentHistory,
    previous: dict[str, Any],
    current: dict[str, Any],
    event: Any,
    settings: Settings,
    now: datetime,
) -> PaymentHistoryWebhook:
    """Record that `history` changed from `previous` to `current` because of `event`.

    Called with the history row locked. `created_at` is what orders a payment's webhooks, so it
    is kept strictly after the payment's previous webhook even if the clock stands still or
    steps back (two hosts, an NTP correction).
    """
    latest = outbox.latest_of_payment(session, history.id)
    return _add(
        session, {"payment_history_id": history.id}, latest, previous, current, event, settings, now
    )


def enqueue_schedule_event(
    session: Session,
    schedule: PaymentSchedule,
    previous: dict[str, Any],
    current: dict[str, Any],
    event: dict[str, Any],
    settings: Settings,
    now: datetime,
) -> PaymentHistoryWebhook:
    """Record an event of `schedule` (`event["type"]`: `schedule.declined`,
    `schedule.status`), delivered to its `webhook_url` in order after its earlier events.
    `current` is the schedule now, `previous` what the event changed (e.g. `{status}`)."""
    latest = outbox.latest_of_schedule(session, schedule.id)
    return _add(
        session, {"schedule_id": schedule.id}, latest, previous, current, event, settings, now
    )


def _add(
    session: Session,
    subject: dict[str, str],
    latest: datetime | None,
    previous: dict[str, Any],
    current: dict[str, Any],
    event: Any,
    settings: Settings,
    now: datetime,
) -> PaymentHistoryWebhook:
    if latest is not None and now <= latest:
        now = latest + timedelta(microseconds=1)
    cipher = settings.keys.webhook
    webhook_id = new_id()

    def sealed(column: str, value: Any) -> str:
        return cipher.encrypt_json(
            value, place_of(PaymentHistoryWebhook.__tablename__, column, webhook_id)
        )

    webhook = PaymentHistoryWebhook(
        id=webhook_id,
        **subject,
        previous=sealed("previous", previous),
        current=sealed("current", current),
        data=sealed("data", event),
        created_at=now,
        status="pending",
        attempts=0,
        next_attempt_at=now,
        deadline_at=now + timedelta(seconds=settings.webhooks.deadline_s),
        # Delivery happens later, maybe in another process: the row carries the request's id.
        request_id=request_ids.current(),
    )
    session.add(webhook)
    notify_outbox(session)
    return webhook

"""Operating the outbox: list webhooks, and replay failed (or any) ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from ..db import Database, PaymentHistoryWebhook
from ..errors import NotFound
from ..settings import Settings

STATUSES = ("pending", "delivered", "failed")


@dataclass(frozen=True)
class WebhookRow:
    id: str
    payment_history_id: str
    status: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    delivered_at: datetime | None
    last_error: str | None


def list_webhooks(
    database: Database, status: str | None = None, limit: int = 100
) -> list[WebhookRow]:
    """The newest webhooks first, optionally only those in `status`."""
    row = PaymentHistoryWebhook
    query = select(row).order_by(row.created_at.desc(), row.id.desc()).limit(limit)
    if status is not None:
        query = query.where(row.status == status)
    with database.transaction() as session:
        return [
            WebhookRow(
                w.id,
                w.payment_history_id,
                w.status,
                w.attempts,
                w.created_at,
                w.next_attempt_at,
                w.delivered_at,
                w.last_error,
            )
            for w in session.scalars(query)
        ]


def retry(
    database: Database, settings: Settings, now: datetime, ids: list[str] | None = None
) -> int:
    """Make webhooks due again with a fresh deadline: the given ids (any status), or every
    failed one when `ids` is None. Returns how many were requeued."""
    row = PaymentHistoryWebhook
    condition = row.status == "failed" if ids is None else row.id.in_(ids)
    with database.transaction() as session:
        if ids is not None:
            found = set(session.scalars(select(row.id).where(condition)))
            missing = [i for i in ids if i not in found]
            if missing:
                raise NotFound(f"No webhook {', '.join(missing)}.")
        result = session.execute(
            update(row)
            .where(condition)
            .values(
                status="pending",
                next_attempt_at=now,
                deadline_at=now + timedelta(seconds=settings.webhooks.deadline_s),
                claimed_until=None,
                claimed_by=None,
            )
        )
        return result.rowcount or 0


def has_pending(database: Database) -> bool:
    row = PaymentHistoryWebhook
    with database.transaction() as session:
        return session.scalar(select(row.id).where(row.status == "pending").limit(1)) is not None


def backlog(database: Database) -> tuple[int, int, datetime | None]:
    """(pending, failed, creation time of the oldest pending) — for the metrics scrape; reads
    only the pending and failed rows, through the status index."""
    row = PaymentHistoryWebhook
    with database.reading() as session:
        by_status = dict(
            session.execute(
                select(row.status, func.count())
                .where(row.status.in_(("pending", "failed")))
                .group_by(row.status)
            ).all()
        )
        oldest = session.scalar(select(func.min(row.created_at)).where(row.status == "pending"))
    return by_status.get("pending", 0), by_status.get("failed", 0), oldest

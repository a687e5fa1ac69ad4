"""Operating the outbox: list webhooks, and replay failed (or any) ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..db import Database
from ..db.queries import outbox
from ..errors import NotFound
from ..settings import Settings
from .url_policy import without_credentials

STATUSES = ("pending", "delivered", "failed")


@dataclass(frozen=True)
class WebhookRow:
    id: str
    payment_history_id: str | None
    """The payment it reports on; None for a schedule's event (`schedule_id`)."""
    status: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    delivered_at: datetime | None
    last_error: str | None
    receiver: str
    """The payment's (or schedule's) webhook_url, never with credentials."""
    schedule_id: str | None = None


def list_webhooks(
    database: Database, status: str | None = None, limit: int = 100
) -> list[WebhookRow]:
    """The newest webhooks first, optionally only those in `status`."""
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
                without_credentials(url),
                w.schedule_id,
            )
            for w, url in outbox.newest(session, status, limit)
        ]


def retry(
    database: Database, settings: Settings, now: datetime, ids: list[str] | None = None
) -> int:
    """Make webhooks due again with a fresh deadline: the given ids (any status), or every
    failed one when `ids` is None. Returns how many were requeued."""
    with database.transaction() as session:
        if ids is not None:
            found = outbox.existing_ids(session, ids)
            missing = [i for i in ids if i not in found]
            if missing:
                raise NotFound(f"No webhook {', '.join(missing)}.")
        deadline_at = now + timedelta(seconds=settings.webhooks.deadline_s)
        return outbox.requeue(session, ids, now, deadline_at)


def has_pending(database: Database) -> bool:
    with database.transaction() as session:
        return outbox.has_pending(session)


def backlog(database: Database) -> tuple[int, int, datetime | None]:
    """(pending, failed, creation time of the oldest pending) — for the metrics scrape; reads
    only the pending and failed rows, through the status index."""
    with database.reading() as session:
        by_status = outbox.by_status(session, ("pending", "failed"))
        oldest = outbox.oldest_pending(session)
    return by_status.get("pending", 0), by_status.get("failed", 0), oldest

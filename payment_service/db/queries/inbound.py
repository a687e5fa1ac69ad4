"""Inbound gateway webhooks: the signed ids already received (`InboundWebhookId`) and each
vendor's budget per minute (`InboundBudget`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, update
from sqlalchemy.orm import Session

from ..models import InboundBudget, InboundWebhookId


def remember(session: Session, code: str, digest: str, expires_at: datetime, now: datetime) -> None:
    """Note webhook `digest` of vendor `code` until `expires_at` (an expired note of the same
    id is replaced). Raises IntegrityError, at flush, when it is noted already."""
    session.execute(
        delete(InboundWebhookId).where(
            InboundWebhookId.vendor_code == code,
            InboundWebhookId.digest == digest,
            InboundWebhookId.expires_at <= now,
        )
    )
    session.add(InboundWebhookId(vendor_code=code, digest=digest, expires_at=expires_at))
    session.flush()


def forget(session: Session, code: str, digest: str) -> None:
    session.execute(
        delete(InboundWebhookId).where(
            InboundWebhookId.vendor_code == code, InboundWebhookId.digest == digest
        )
    )


def spend(session: Session, code: str, window_start: datetime) -> int | None:
    """Count one more webhook of vendor `code` in the window; the count so far, or None when
    the window has no row yet (then `open_window`)."""
    statement = (
        update(InboundBudget)
        .where(InboundBudget.vendor_code == code, InboundBudget.window_start == window_start)
        .values(used=InboundBudget.used + 1)
        .returning(InboundBudget.used)
    )
    return session.scalar(statement)


def open_window(session: Session, code: str, window_start: datetime) -> None:
    """The window's row, with this webhook counted; older windows of the vendor are dropped.
    Raises IntegrityError when another process opened it first (then `spend` again)."""
    session.execute(
        delete(InboundBudget).where(
            InboundBudget.vendor_code == code, InboundBudget.window_start < window_start
        )
    )
    session.execute(
        insert(InboundBudget).values(vendor_code=code, window_start=window_start, used=1)
    )


def purge(session: Session, now: datetime, window_start: datetime) -> None:
    """Forget webhook ids whose signatures have expired, and budgets of past windows."""
    session.execute(delete(InboundWebhookId).where(InboundWebhookId.expires_at <= now))
    session.execute(delete(InboundBudget).where(InboundBudget.window_start < window_start))

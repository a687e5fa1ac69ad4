"""The console's audit log (`ConsoleAuditEntry`): appended and read, never changed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import ConsoleAuditEntry


def newest(
    session: Session,
    *,
    since: datetime | None = None,
    target: str | None = None,
    action: str | None = None,
    operator: str | None = None,
    limit: int | None = None,
) -> list[ConsoleAuditEntry]:
    """Entries, the newest first, optionally of one target, action or operator since `since`."""
    query = select(ConsoleAuditEntry).order_by(
        ConsoleAuditEntry.at.desc(), ConsoleAuditEntry.id.desc()
    )
    if since is not None:
        query = query.where(ConsoleAuditEntry.at >= since)
    if target is not None:
        query = query.where(ConsoleAuditEntry.target == target)
    if action is not None:
        query = query.where(ConsoleAuditEntry.action == action)
    if operator is not None:
        query = query.where(ConsoleAuditEntry.operator == operator)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))

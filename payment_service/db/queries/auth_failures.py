"""Failed password checks per client (`AuthFailure`), for the shared throttle."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, delete, insert, select
from sqlalchemy.orm import Session

from ..models import AuthFailure


@cache
def _recent_statement(limit: int) -> Select[Any]:
    # Built once per limit, as it runs before every password check.
    return (
        select(AuthFailure.failed_at)
        .where(
            AuthFailure.client == bindparam("client"),
            AuthFailure.failed_at > bindparam("since", type_=AuthFailure.failed_at.type),
        )
        .order_by(AuthFailure.failed_at.desc())
        .limit(limit)
    )


def recent(session: Session, client: str, since: datetime, limit: int) -> list[datetime]:
    """The client's most recent failures after `since`, newest first, at most `limit`."""
    statement = _recent_statement(limit)
    return list(session.scalars(statement, {"client": client, "since": since}))


def add(session: Session, client: str, failed_at: datetime, count: int) -> None:
    session.execute(insert(AuthFailure), [{"client": client, "failed_at": failed_at}] * count)


def purge(session: Session, cutoff: datetime) -> None:
    """Forget the failures of `cutoff` and before."""
    session.execute(delete(AuthFailure).where(AuthFailure.failed_at <= cutoff))

"""Counted password checks (`AuthFailure`), for the shared throttle."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Row, Select, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from ..models import AuthFailure


@cache
def _recent_statement(limit: int) -> Select[Any]:
    # Built once per limit, as it runs before every bcrypt check. Failures first, newest
    # first: the limit-th failure (if any) is then the one whose ageing frees the budget.
    return (
        select(AuthFailure.failed_at, AuthFailure.pending)
        .where(
            AuthFailure.client == bindparam("client"),
            AuthFailure.failed_at > bindparam("since", type_=AuthFailure.failed_at.type),
        )
        .order_by(AuthFailure.pending, AuthFailure.failed_at.desc())
        .limit(limit)
    )


def lock(session: Session, scopes: Sequence[str]) -> None:
    """Serialize the transactions that count these scopes until this one ends. PostgreSQL: a
    transaction-level advisory lock per scope (taken in the given order, so two transactions
    never wait on each other crosswise); SQLite: the write lock every writing unit of work
    already holds from its BEGIN IMMEDIATE."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for scope in scopes:
        session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(scope, 0))))


def recent(
    session: Session, scope: str, since: datetime, limit: int
) -> list[Row[tuple[datetime, bool]]]:
    """At most `limit` of the scope's counted checks after `since`, as (failed_at, pending):
    failures first, newest first, then checks still running."""
    statement = _recent_statement(limit)
    return list(session.execute(statement, {"client": scope, "since": since}))


def add(session: Session, scopes: Sequence[str], failed_at: datetime, attempt: str) -> None:
    """Count one check (`attempt`) against each scope, as running."""
    rows = [
        {"client": scope, "failed_at": failed_at, "attempt": attempt, "pending": True}
        for scope in scopes
    ]
    session.execute(insert(AuthFailure), rows)


def release(session: Session, attempt: str) -> None:
    """Uncount a check that succeeded."""
    session.execute(delete(AuthFailure).where(AuthFailure.attempt == attempt))


def fail(session: Session, attempt: str) -> None:
    """Keep a check that failed counted, as a failure."""
    statement = update(AuthFailure).where(AuthFailure.attempt == attempt)
    session.execute(statement.values(pending=False))


def purge(session: Session, cutoff: datetime) -> None:
    """Forget the checks of `cutoff` and before."""
    session.execute(delete(AuthFailure).where(AuthFailure.failed_at <= cutoff))

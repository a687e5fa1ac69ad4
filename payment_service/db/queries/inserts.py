"""Inserting a row unless a unique key is taken: one statement, no exception for the conflict.

`INSERT … ON CONFLICT DO NOTHING` on both databases. A conflict is decided by the database
itself: on PostgreSQL an insert that meets an uncommitted competitor waits for it to commit or
roll back, so two requests never both get True. The statement is a Core one on the table (no
ORM flush) and built once per table, dialect and conflict target: it runs on hot paths (every
create, every keyed request).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Insert, Table
from sqlalchemy.dialects import postgresql, sqlite

from ..models import Base
from ..session import Executor, dialect_of


def insert_new(
    session: Executor,
    model: type[Base],
    values: dict[str, Any],
    conflict_on: tuple[str, ...] | None = None,
) -> bool:
    """Insert one row of `model`; False, changing nothing, when it would take a unique key
    held already (any unique key, or only the one on the columns `conflict_on`)."""
    postgres = dialect_of(session) == "postgresql"
    table: Table = model.__table__  # type: ignore[assignment]
    # RETURNING rather than the row count, which a driver may leave unknown (-1).
    return session.execute(_statement(postgres, table, conflict_on), values).first() is not None


@cache
def _statement(postgres: bool, table: Table, conflict_on: tuple[str, ...] | None) -> Insert:
    dialect = postgresql if postgres else sqlite
    inserted = dialect.insert(table).on_conflict_do_nothing(index_elements=conflict_on)
    return inserted.returning(*table.primary_key.columns)

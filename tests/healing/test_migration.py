"""0008_issue27 on SQLite and PostgreSQL: up from 0006 keeping the payments, down and up again."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import insert, inspect

from payment_service.db import Database, PaymentHistory
from payment_service.db.migrate import alembic_config, upgrade
from tests.db.test_migrations import as_of_0005, empty_database, history

__all__ = ["empty_database"]  # the fixture

ID = "00000000-0000-0000-0000-000000000001"
NEW_TABLES = {
    "payment_janitor_checks",
    "payment_findings",
    "payment_finding_events",
    "payment_reconcile_runs",
}


def tables(database: Database) -> set[str]:
    return set(inspect(database.engine).get_table_names(schema=database.schema))


def history_columns(database: Database) -> set[str]:
    columns = inspect(database.engine).get_columns("payment_histories", schema=database.schema)
    return {c["name"] for c in columns}


def test_0009_adds_its_tables_and_columns_and_goes_back(empty_database: Database) -> None:
    database = empty_database
    upgrade(database, "0006_issue16")
    assert "due_at" not in history_columns(database)
    with database.transaction() as session:
        # A row as 0006's table holds it (the model has the new columns).
        row = history(id=ID, confirmed_at=datetime(2026, 1, 1, tzinfo=UTC))
        session.execute(insert(PaymentHistory.__table__).values(as_of_0005(row)))

    upgrade(database)

    assert tables(database) >= NEW_TABLES
    assert {"synced_at", "due_at"} <= history_columns(database)
    with database.engine.connect() as connection:
        kept = connection.exec_driver_sql(
            f"SELECT id, synced_at, due_at FROM {qualified(database)}payment_histories"
        ).all()
    assert [tuple(row) for row in kept] == [(ID, None, None)]

    command.downgrade(alembic_config(database), "0006_issue16")

    assert not tables(database) & NEW_TABLES
    assert not {"synced_at", "due_at"} & history_columns(database)
    upgrade(database)
    assert tables(database) >= NEW_TABLES


def qualified(database: Database) -> str:
    return f'"{database.schema}".' if database.schema else ""

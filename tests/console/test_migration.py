"""0010: the console's tables come and go with the migration, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from payment_service.db.migrate import alembic_config, upgrade
from tests.db.test_migrations import empty_database

__all__ = ["empty_database"]  # a fixture of the migration tests, one schema per test

TABLES = {"console_operators", "console_audit"}
REVISION = "0010_issue28"


def test_the_console_tables_are_added_and_removed(empty_database):
    database = empty_database
    upgrade(database)
    assert set(inspect(database.engine).get_table_names()) >= TABLES
    alembic = alembic_config(database)
    # To the revision before this one, wherever the chain puts it.
    before = ScriptDirectory.from_config(alembic).get_revision(REVISION).down_revision
    command.downgrade(alembic, str(before))
    assert not TABLES & set(inspect(database.engine).get_table_names())
    upgrade(database)
    assert set(inspect(database.engine).get_table_names()) >= TABLES

"""Fixtures of the database tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from payment_service.db import Database
from payment_service.db.migrate import upgrade


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """A migrated database (SQLite, then PostgreSQL: `database_url`)."""
    database = Database(database_url)
    upgrade(database)
    yield database
    database.dispose()

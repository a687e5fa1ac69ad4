"""Alembic, driven from code: `payment-service schema` upgrades the database to head.

The revisions ship inside the package (`migrations/versions` is a package, so wheels carry it).
An installation without them, or a database that ends up anywhere but at head, is an error with
a message saying what to do — never a silent success at revision None.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import inspect

from ..errors import Unavailable
from .session import Database

MIGRATIONS = Path(__file__).parent / "migrations"


class MigrationError(Unavailable):
    """The schema cannot be brought to head; the message says why and what to do."""


def alembic_config(database: Database, migrations: Path = MIGRATIONS) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations))
    config.set_main_option("path_separator", "os")
    config.attributes["engine"] = database.engine
    return config


def head_revision(migrations: Path = MIGRATIONS) -> str:
    """The newest revision this installation ships; MigrationError when it ships none."""
    missing = MigrationError(
        f"no database migrations found in {migrations / 'versions'}: this installation of "
        "payment-service is incomplete (reinstall it from a wheel or sdist)"
    )
    if not (migrations / "env.py").is_file() or not (migrations / "versions").is_dir():
        raise missing
    config = Config()
    config.set_main_option("script_location", str(migrations))
    config.set_main_option("path_separator", "os")
    try:
        head = ScriptDirectory.from_config(config).get_current_head()
    except CommandError as error:
        raise MigrationError(f"the database migrations are inconsistent: {error}") from None
    if head is None:
        raise missing
    return head


def upgrade(database: Database, revision: str = "head", migrations: Path = MIGRATIONS) -> str:
    """Create or upgrade every table and return the revision reached; running it again on an
    up-to-date database is a no-op. MigrationError unless the database ends at `revision`."""
    target = head_revision(migrations) if revision == "head" else revision
    database.check()
    database.ensure_schema()
    try:
        command.upgrade(alembic_config(database, migrations), revision)
    except CommandError as error:
        found = current_revision(database)
        raise MigrationError(
            f"cannot upgrade the database (at revision {found}) to {target}: {error}. "
            "Was it migrated by a newer payment-service?"
        ) from None
    reached = current_revision(database)
    if reached != target:
        raise MigrationError(
            f"the database is at revision {reached} after upgrading, not at {target}"
        )
    return reached


def current_revision(database: Database) -> str | None:
    with database.engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        row = connection.exec_driver_sql("SELECT version_num FROM alembic_version").first()
        return row[0] if row else None

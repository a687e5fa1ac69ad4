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
from sqlalchemy import Engine, create_engine, inspect
from sqlalchemy.pool import NullPool

from ..errors import Unavailable
from .models import Base
from .session import Database, use_schema

MIGRATIONS = Path(__file__).parent / "migrations"


class MigrationError(Unavailable):
    """The schema cannot be brought to head; the message says why and what to do."""


def alembic_config(
    database: Database, engine: Engine | None = None, migrations: Path = MIGRATIONS
) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations))
    config.set_main_option("path_separator", "os")
    config.attributes["engine"] = engine or database.engine
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
    engine: Engine | None = None
    if database.dialect == "postgresql":
        # A schema change may rightly take longer than a request's statement timeout:
        # migrations get connections of their own, with only the connect timeout.
        engine = create_engine(
            database.url,
            poolclass=NullPool,
            connect_args={"connect_timeout": max(2, int(database.timeout_s + 0.999))},
        )
        if database.schema is not None:
            use_schema(engine, database.schema)
    _refuse_foreign_tables(database)
    try:
        command.upgrade(alembic_config(database, engine, migrations), revision)
    except CommandError as error:
        found = current_revision(database)
        raise MigrationError(
            f"cannot upgrade the database (at revision {found}) to {target}: {error}. "
            "Was it migrated by a newer payment-service?"
        ) from None
    finally:
        if engine is not None:
            engine.dispose()
    reached = current_revision(database)
    if reached != target:
        raise MigrationError(
            f"the database is at revision {reached} after upgrading, not at {target}"
        )
    return reached


def _refuse_foreign_tables(database: Database) -> None:
    """Tables of ours' names in a database without a revision were made by someone else (most
    likely the original server): creating ours would fail half way, so say what to do."""
    if current_revision(database) is not None:
        return
    with database.engine.connect() as connection:
        found = sorted(set(inspect(connection).get_table_names()) & set(Base.metadata.tables))
    if found:
        raise MigrationError(
            f"the database already has tables named like payment-service's ({', '.join(found)}) "
            "but no payment-service schema revision. If it is the database of "
            "@samchon/payment-backend, adopt it first: `payment-service adopt-original` "
            "(docs/adoption.md)"
        )


def current_revision(database: Database) -> str | None:
    with database.engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        row = connection.exec_driver_sql("SELECT version_num FROM alembic_version").first()
        return row[0] if row else None

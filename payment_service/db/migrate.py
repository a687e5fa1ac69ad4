"""Alembic, driven from code: `payment-service schema` upgrades the database to head."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, inspect
from sqlalchemy.pool import NullPool

from .session import Database

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database: Database, engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    config.attributes["engine"] = engine or database.engine
    return config


def upgrade(database: Database, revision: str = "head") -> None:
    """Create or upgrade every table; running it again on an up-to-date database is a no-op."""
    database.check()
    if database.dialect != "postgresql":
        command.upgrade(alembic_config(database), revision)
        return
    # A schema change may rightly take longer than a request's statement timeout: migrations
    # get connections of their own, with only the connect timeout.
    engine = create_engine(
        database.url,
        poolclass=NullPool,
        connect_args={"connect_timeout": max(2, int(database.timeout_s + 0.999))},
    )
    try:
        command.upgrade(alembic_config(database, engine), revision)
    finally:
        engine.dispose()


def current_revision(database: Database) -> str | None:
    with database.engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        row = connection.exec_driver_sql("SELECT version_num FROM alembic_version").first()
        return row[0] if row else None

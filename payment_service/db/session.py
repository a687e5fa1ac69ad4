"""Engine and transactions. Every unit of work runs in `Database.transaction()`.

On SQLite each transaction starts with BEGIN IMMEDIATE: writers queue on the database lock
instead of failing half way, which is SQLite's equivalent of the row locks PostgreSQL takes
with SELECT ... FOR UPDATE.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ..errors import Unavailable


class DatabaseUnavailable(Unavailable):
    """The database cannot be reached; the message says which one and why."""


def _redacted(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_pre_ping=True,
        )

        @event.listens_for(engine, "connect")
        def _configure(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy, not the driver, decide when transactions begin.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            if parsed.database and parsed.database != ":memory:":
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def use_schema(engine: Engine, schema: str) -> None:
    """Make every PostgreSQL connection of `engine` work in `schema` (PAYMENT_DATABASE_SCHEMA).

    Through the search_path rather than SQLAlchemy's schema translation, so that Alembic, its
    version table and every raw statement land in the same namespace as the models' tables.
    """
    statement = f'SET SESSION search_path TO "{schema}"'

    @event.listens_for(engine, "connect", insert=True)
    def _search_path(dbapi_connection: Any, _record: Any) -> None:
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True  # a SET outside any transaction, kept for the session
        cursor = dbapi_connection.cursor()
        cursor.execute(statement)
        cursor.close()
        dbapi_connection.autocommit = autocommit


class Database:
    """`schema` is the PostgreSQL namespace of the tables (None: the server's search_path)."""

    def __init__(self, url: str, schema: str | None = None):
        self.url = url
        self.engine = make_engine(url)
        self.schema = schema if self.engine.dialect.name == "postgresql" else None
        if self.schema is not None:
            use_schema(self.engine, self.schema)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits on success and rolls back on any exception."""
        with self._sessions() as session, session.begin():
            yield session

    def check(self) -> None:
        """Raise DatabaseUnavailable unless a trivial query succeeds."""
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except OperationalError as error:
            reason = str(error.orig or error).strip().splitlines()[0]
            raise DatabaseUnavailable(
                f"cannot connect to the database {_redacted(self.url)}: {reason}"
            ) from None

    def ensure_schema(self) -> None:
        """Create the schema namespace when missing (`setup-db` normally has made it)."""
        if self.schema is None:
            return
        with self.engine.connect() as connection:
            found = connection.execute(
                text("SELECT 1 FROM pg_namespace WHERE nspname = :name"), {"name": self.schema}
            ).first()
            if found is None:
                try:
                    connection.execute(text(f'CREATE SCHEMA "{self.schema}"'))
                    connection.commit()
                except DBAPIError as error:
                    reason = str(error.orig or error).strip().splitlines()[0]
                    raise DatabaseUnavailable(
                        f"the schema {self.schema} does not exist and cannot be created "
                        f"({reason}): run `payment-service setup-db` with an administrator's URL"
                    ) from None

    def dispose(self) -> None:
        self.engine.dispose()

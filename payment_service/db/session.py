"""Engine and transactions. Every unit of work runs in `Database.transaction()`.

On SQLite each transaction starts with BEGIN IMMEDIATE: writers queue on the database lock
instead of failing half way, which is SQLite's equivalent of the row locks PostgreSQL takes
with SELECT ... FOR UPDATE.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ..errors import Unavailable


class DatabaseUnavailable(Unavailable):
    """The database cannot be reached; the message says which one and why."""


def _redacted(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def make_engine(url: str) -> Engine:
    # hide_parameters: errors (and so log lines) never show a row's values (password hashes,
    # ciphertexts), only the statement.
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_pre_ping=True,
            hide_parameters=True,
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
    return create_engine(
        url, pool_pre_ping=True, pool_size=10, max_overflow=20, hide_parameters=True
    )


class Database:
    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
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
        """Raise DatabaseUnavailable unless a trivial query succeeds.

        This is the health check, run for every probe: it asks a pooled driver connection
        directly. Through a `Connection` it would begin a transaction, which on SQLite is our
        BEGIN IMMEDIATE — the database-wide write lock — so health probes would queue behind
        writers and behind each other.
        """
        driver_error = self.engine.dialect.loaded_dbapi.Error
        try:
            connection = self.engine.raw_connection()
            try:
                cursor = connection.cursor()
                cursor.execute("SELECT 1")
                cursor.fetchall()
                cursor.close()
            finally:
                connection.close()  # back to the pool, which rolls back whatever was begun
        except (OperationalError, driver_error) as error:
            cause = getattr(error, "orig", None) or error
            reason = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
            raise DatabaseUnavailable(
                f"cannot connect to the database {_redacted(self.url)}: {reason}"
            ) from None

    def dispose(self) -> None:
        self.engine.dispose()

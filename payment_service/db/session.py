"""Engine and transactions: `Database.transaction()` writes, `Database.reading()` only reads.

Nothing here ever waits on the database without a bound:

* SQLite runs in WAL mode, so readers never block the writer nor each other. Read units of
  work begin with a plain (deferred) BEGIN; only writing ones take the write lock at once with
  BEGIN IMMEDIATE (so writers queue on the lock instead of failing half way, SQLite's
  equivalent of PostgreSQL's row locks). A writer waits at most the busy timeout for the lock.
* PostgreSQL gets a connect timeout, a server-side statement timeout, a pool-checkout timeout
  and, because a server that stops answering (a dead host, a blackholed network) never trips
  a server-side timeout, a client-side watchdog: a unit of work that outlives its deadline has
  its connection's socket shut down, which ends whatever the driver was waiting for.
* Every database failure leaves as `DatabaseUnavailable` (503, without the URL), and the pool
  replaces broken connections, so the service recovers on its own when the database returns.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, exc, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from ..deadlines import keeper, shut_down
from ..errors import Unavailable

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 10.0
# Execution option that marks a unit of work as read-only (SQLite: deferred BEGIN).
READ_ONLY = "payment_service_read_only"

# What a statement runs on: a unit of work's session, or `one_statement()`'s bare connection.
Executor = Session | Connection


def dialect_of(executor: Executor) -> str:
    """`postgresql` or `sqlite`."""
    if isinstance(executor, Session):
        return executor.get_bind().dialect.name
    return executor.dialect.name


# Errors that mean "the database cannot serve us right now", as opposed to a bug or a
# constraint violation. Pool exhaustion is `exc.TimeoutError`.
UNAVAILABLE_ERRORS = (exc.OperationalError, exc.InterfaceError, exc.TimeoutError)
# Errors (and so log lines) show a failed statement without its values: they may be password
# hashes or ciphertexts.
HIDE_PARAMETERS = True


class DatabaseUnavailable(Unavailable):
    """The database cannot be reached or did not answer in time. The message never names the
    database (its URL may carry a password); the log does, redacted."""

    def __init__(
        self, message: str = "The database is unavailable; try again shortly.", detail: str = ""
    ):
        super().__init__(message)
        self.detail = detail or message
        """For operators (the CLI): which database, and the driver's reason."""


def _redacted(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


class _Unit:
    """The connections one unit of work uses, and whether its deadline cut them off."""

    __slots__ = ("connections", "cut", "lock")

    def __init__(self) -> None:
        self.connections: list[Any] = []
        self.cut = False
        self.lock = threading.Lock()

    def add(self, dbapi_connection: Any) -> None:
        with self.lock:
            if self.cut:
                raise DatabaseUnavailable("The database did not answer in time; try again shortly.")
            self.connections.append(dbapi_connection)

    def cut_off(self) -> None:
        with self.lock:
            self.cut = True
            connections = list(self.connections)
        for connection in connections:
            _shut_down(connection)


class Watchdog:
    """Ends units of work that outlive their deadline by shutting down their sockets.

    The process's deadline keeper (`deadlines.keeper`, which also bounds gateway calls and
    webhook attempts) holds each unit's deadline; arming and disarming are a heap push and a
    flag. SQLite needs none (no socket; its waits are bounded by the busy timeout). Shutting a
    socket down (not closing it: the driver still owns the descriptor) makes a blocked receive
    return at once with an error, whatever the driver, while the descriptor stays valid for it
    to clean up.
    """

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._local = threading.local()

    @contextmanager
    def armed(self, seconds: float) -> Iterator[None]:
        if not self.enabled:
            yield
            return
        unit = _Unit()
        deadlines = keeper()
        watch = deadlines.watch(time.monotonic() + seconds, unit.cut_off)
        outer = getattr(self._local, "unit", None)
        self._local.unit = unit
        try:
            yield
        except BaseException:
            deadlines.cancel(watch)
            if watch.fired:
                # The error is the driver noticing its socket was shut down: say why.
                raise DatabaseUnavailable(
                    "The database did not answer in time; try again shortly."
                ) from None
            raise
        finally:
            self._local.unit = outer
            deadlines.cancel(watch)

    def watch(self, dbapi_connection: Any) -> None:
        """Put a connection the current unit of work uses under its deadline.

        Raises DatabaseUnavailable if that deadline has already passed (the pool is trying
        another connection after the first was cut off: there is no time left for it).
        """
        unit: _Unit | None = getattr(self._local, "unit", None)
        if unit is not None:
            unit.add(dbapi_connection)


def _shut_down(dbapi_connection: Any) -> None:
    try:
        fileno = dbapi_connection.pgconn.socket
    except Exception:  # already closed
        return
    if shut_down(fileno):
        log.warning("a database connection did not answer in time; its socket was shut down")


def make_engine(
    url: str, timeout_s: float = DEFAULT_TIMEOUT_S, watchdog: Watchdog | None = None
) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database, timeout_s)
    return _postgres_engine(url, timeout_s, watchdog or Watchdog())


def _sqlite_engine(url: str, database: str | None, timeout_s: float) -> Engine:
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": timeout_s},
        pool_pre_ping=True,
        hide_parameters=HIDE_PARAMETERS,
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(timeout_s * 1000)}")
        if database and database != ":memory:":
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


TRUSTED_AFTER_USE_S = 1.0
"""A pooled PostgreSQL connection given back less than this ago is used without a ping."""


def _postgres_engine(url: str, timeout_s: float, watchdog: Watchdog) -> Engine:
    milliseconds = int(timeout_s * 1000)
    engine = create_engine(
        url,
        pool_size=10,
        max_overflow=20,
        pool_timeout=timeout_s,
        hide_parameters=HIDE_PARAMETERS,
        # Connections that died while idle in the pool are found by the ping below.
        pool_pre_ping=False,
        connect_args={
            # libpq bounds the whole connection set-up (TCP, TLS, authentication) with it.
            "connect_timeout": max(2, int(timeout_s + 0.999)),
            "options": f"-c statement_timeout={milliseconds} -c lock_timeout={milliseconds}",
            "keepalives": 1,
            "keepalives_idle": 30,
            "keepalives_interval": 10,
            "keepalives_count": 3,
        },
    )
    engine.dialect.payment_watchdog = watchdog  # type: ignore[attr-defined]

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        watchdog.watch(dbapi_connection)
        if record.info.pop("fresh", False):
            return
        returned = record.info.get("returned_at")
        if returned is not None and time.monotonic() - returned < TRUSTED_AFTER_USE_S:
            # It answered a moment ago: the ping's round trip would be paid by every unit of
            # work of a busy process (a sender's two per webhook, a create's four) to catch a
            # server lost in that moment — whose unit then fails as unavailable (503) on its
            # first statement instead, and the pool starts afresh.
            return
        # What pool_pre_ping does, but under the unit of work's deadline: a pooled connection
        # whose server vanished would otherwise wait forever for the answer.
        try:
            # Outside any transaction (no BEGIN): the unit of work chooses how its own begins.
            dbapi_connection.autocommit = True
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
            dbapi_connection.autocommit = False
        except Exception as error:
            raise exc.DisconnectionError(f"stale connection: {error}") from error

    @event.listens_for(engine, "connect")
    def _connected(_dbapi_connection: Any, record: Any) -> None:
        record.info["fresh"] = True

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    return engine


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

    def __init__(
        self, url: str, schema: str | None = None, *, timeout_s: float = DEFAULT_TIMEOUT_S
    ):
        self.url = url
        self.timeout_s = timeout_s
        self.watchdog = Watchdog(enabled=make_url(url).get_backend_name() != "sqlite")
        self.engine = make_engine(url, timeout_s, self.watchdog)
        self.schema = schema if self.engine.dialect.name == "postgresql" else None
        if self.schema is not None:
            use_schema(self.engine, self.schema)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A writing unit of work: commits on success, rolls back on any exception."""
        with self._unit(read_only=False) as session:
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A unit of work that only reads: on SQLite it never takes the write lock."""
        with self._unit(read_only=True) as session:
            yield session

    @contextmanager
    def one_statement(self) -> Iterator[Connection]:
        """A writing unit of work of exactly one statement, atomic by itself, for the hottest
        writes: a bare connection (no ORM session, whose bookkeeping would be a third of the
        unit's CPU) that on PostgreSQL runs without BEGIN and COMMIT (one round trip instead of
        three); on SQLite it is a transaction. Never run a second statement in it: the two
        would not be one transaction."""
        engine = self._autocommit if self.dialect == "postgresql" else self.engine
        try:
            with self.watchdog.armed(self.timeout_s + 0.5), engine.begin() as connection:
                yield connection
        except UNAVAILABLE_ERRORS as error:
            unavailable = self._unavailable(error)
            log.warning("%s", unavailable.detail)
            raise unavailable from None

    @contextmanager
    def _unit(self, *, read_only: bool, options: dict[str, Any] | None = None) -> Iterator[Session]:
        try:
            # The server's statement timeout normally ends a slow unit first, with a clean error;
            # the watchdog is for a server that cannot even say so.
            with self.watchdog.armed(self.timeout_s + 0.5), self._sessions() as session:
                # Procuring the connection begins the transaction, with these options seen by
                # the "begin" hook (SQLite: deferred BEGIN for reads).
                session.connection(
                    execution_options=options or ({READ_ONLY: True} if read_only else {})
                )
                try:
                    yield session
                    session.commit()
                except BaseException:
                    session.rollback()
                    raise
        except UNAVAILABLE_ERRORS as error:
            unavailable = self._unavailable(error)
            # The client is told only that the database is unavailable; the log says why.
            log.warning("%s", unavailable.detail)
            raise unavailable from None

    def check(self) -> None:
        """Raise DatabaseUnavailable unless a trivial query succeeds in time.

        This is the health check, run for every probe, so it asks a pooled driver connection
        directly: no statement compiled, and on PostgreSQL in autocommit, so that no
        transaction is begun and rolled back around it (one round trip instead of three).
        """
        driver_errors = (*UNAVAILABLE_ERRORS, self.engine.dialect.loaded_dbapi.Error)
        postgres = self.dialect == "postgresql"
        try:
            with self.watchdog.armed(self.timeout_s + 0.5):
                connection = self.engine.raw_connection()
                try:
                    driver = connection.driver_connection
                    if postgres:
                        driver.autocommit = True  # type: ignore[union-attr]
                    cursor = connection.cursor()
                    cursor.execute("SELECT 1")
                    cursor.fetchall()
                    cursor.close()
                    if postgres:
                        driver.autocommit = False  # type: ignore[union-attr]
                except BaseException:
                    # Never back to the pool in autocommit: a unit of work would run on it
                    # without a transaction.
                    connection.invalidate()
                    raise
                finally:
                    connection.close()  # back to the pool, which ends what the driver began
        except driver_errors as error:
            raise self._unavailable(error) from None

    def _unavailable(self, error: Exception) -> DatabaseUnavailable:
        reason = "".join(str(getattr(error, "orig", None) or error).strip().splitlines()[:1])
        if isinstance(error, exc.OperationalError) and "locked" in reason:
            return DatabaseUnavailable(
                "The database is busy; try again shortly.",
                detail=f"SQLite stayed locked longer than the busy timeout: {reason}",
            )
        detail = f"cannot connect to the database {_redacted(self.url)}: {reason}"
        return DatabaseUnavailable(detail=detail)

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

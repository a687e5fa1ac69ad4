"""One embedded payment server (with its fakes) per database kind for a whole test package,
emptied before each test, instead of one started and stopped around every test.

Starting a `PaymentBackend` (three fakes, the app, a server thread, the migrations check) and
stopping it costs about half a second, several times what most end-to-end tests spend on their
own requests. Tests here never depend on a fresh process, only on empty tables and on fakes
with no webhook still on its way: `empty()` gives them that. A package imports the fixtures
into its conftest (`from tests.support.backends import backend, client, receiver`); tests
that need a server configured differently still build their own `PaymentBackend`.

Each backend owns its database (a SQLite file, or a PostgreSQL database created for it), so
the session database that other tests truncate at will is never under its dispatcher.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, delete, text
from sqlalchemy.engine import make_url

from payment_service.client import PaymentClient
from payment_service.db import Base
from payment_service.testing import PaymentBackend, WebhookReceiver
from tests.conftest import POSTGRES_ENV, _postgres_server

ENVIRON = {"PAYMENT_WEBHOOK_RETRY_BASE_S": "0.2", "PAYMENT_WEBHOOK_POLL_S": "0.2"}
KINDS = ["sqlite", "postgresql"]


class SharedBackends:
    """The package's backends, opened on first use and closed (databases dropped) at its end."""

    def __init__(self, directory: Path, environ: dict[str, str]):
        self.directory = directory
        self.environ = environ
        self._backends: dict[str, PaymentBackend] = {}
        self._postgres: tuple[str, str] | None = None  # (server URL, database name)

    def get(self, kind: str) -> PaymentBackend:
        if kind not in self._backends:
            backend = PaymentBackend(self._database(kind), environ=self.environ)
            self._backends[kind] = backend.open()
        return self._backends[kind]

    def empty(self, kind: str) -> PaymentBackend:
        """The backend on this database kind, emptied for the next test."""
        backend = self.get(kind)
        empty(backend)
        return backend

    def _database(self, kind: str) -> str:
        if kind == "sqlite":
            return f"sqlite:///{self.directory / 'shared-backend.sqlite3'}"
        server = _postgres_server()
        if server is None:
            pytest.skip(f"no PostgreSQL server answers (set {POSTGRES_ENV} to require one)")
        name = f"payment_service_test_{uuid.uuid4().hex[:12]}"
        _on_server(server, f'CREATE DATABASE "{name}"')
        self._postgres = (server, name)
        return make_url(server).set(database=name).render_as_string(hide_password=False)

    def close(self) -> None:
        for backend in self._backends.values():
            backend.close()
        self._backends.clear()
        if self._postgres is not None:
            server, name = self._postgres
            _on_server(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            self._postgres = None


def _on_server(server: str, statement: str) -> None:
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(statement))
    finally:
        admin.dispose()


def empty(backend: PaymentBackend) -> None:
    """What a fresh backend would look like to a test: no rows, no fake webhook in flight.

    The fakes keep their records (payments are keyed by fresh ids) and their access tokens,
    which the server's vendors cache; only what they still send is awaited, so that nothing
    of the previous test reaches the server during the next one."""
    for gateway in backend.fakes.gateways.values():
        server: Any = gateway.server  # every fake of fake_servers drains its webhooks
        server.drain_webhooks()
    # DELETE, children first: TRUNCATE costs far more for the few rows a test leaves.
    with backend.runtime.database.transaction() as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(delete(table))


def opened(
    tmp_path_factory: pytest.TempPathFactory, environ: dict[str, str]
) -> Iterator[SharedBackends]:
    """Backends with these settings, for a fixture of a wider scope to yield from."""
    backends = SharedBackends(tmp_path_factory.mktemp("backends"), environ)
    try:
        yield backends
    finally:
        backends.close()


@pytest.fixture(scope="package")
def shared_backends(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedBackends]:
    yield from opened(tmp_path_factory, ENVIRON)


@pytest.fixture(params=KINDS)
def backend(request: pytest.FixtureRequest, shared_backends: SharedBackends) -> PaymentBackend:
    """The package's backend on this database kind, empty."""
    return shared_backends.empty(request.param)


@pytest.fixture
def receiver(backend: PaymentBackend) -> Iterator[WebhookReceiver]:
    """A receiver of this test only (on its own port: late deliveries for a previous test
    find nobody listening)."""
    receiver = backend.webhook_receiver()
    yield receiver
    receiver.stop()


@pytest.fixture
def client(backend: PaymentBackend) -> Iterator[PaymentClient]:
    with PaymentClient(backend.url, backend.key, backend.iv) as client:
        yield client

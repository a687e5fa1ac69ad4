"""Fixtures shared by the whole suite: databases (SQLite and PostgreSQL), settings, the app.

Every test that takes `database_url` runs twice: on a fresh SQLite file, and on a PostgreSQL
database that this session creates and drops. PostgreSQL is skipped when no server answers,
unless PAYMENT_TEST_POSTGRES_URL is set (as CI does): then it must answer, or the suite fails.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from payment_service.app import create_app
from payment_service.db import Base, Database
from payment_service.db.migrate import upgrade
from payment_service.settings import Settings

POSTGRES_ENV = "PAYMENT_TEST_POSTGRES_URL"
REALTIME_GROUP = "realtime"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `realtime` (a peer that really takes time: a trickling receiver, a hanging
    gateway, a topology of processes) run one after another on one xdist worker (`make test`
    runs with `--dist loadgroup`), so their timing does not compete with each other."""
    for item in items:
        if item.get_closest_marker("realtime") is not None:
            item.add_marker(pytest.mark.xdist_group(REALTIME_GROUP))


DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _postgres_server() -> str | None:
    """The maintenance URL of a reachable server, None to skip; fails if one is required."""
    required = os.environ.get(POSTGRES_ENV)
    url = required or DEFAULT_POSTGRES
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as error:
        if required:
            pytest.fail(f"{POSTGRES_ENV} is set but PostgreSQL does not answer: {error}")
        return None
    return url


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    """A fresh PostgreSQL database at head revision for this session, dropped at the end."""
    server = _postgres_server()
    if server is None:
        yield None
        return
    name = f"payment_service_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    database = Database(url)
    upgrade(database)
    database.dispose()
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def truncate_all(url: str) -> None:
    """Empty every table. DELETE, children first, rather than TRUNCATE: a test leaves a handful
    of rows, and TRUNCATE's new files per table cost about 0.3 s on PostgreSQL, every test."""
    engine = create_engine(url)
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file at head revision; each test gets a copy (a file copy costs far less
    than running every migration again)."""
    path = tmp_path_factory.mktemp("template") / "payment-service.sqlite3"
    database = Database(f"sqlite:///{path}")
    upgrade(database)
    database.dispose()  # the last connection checkpoints the WAL: the file alone is complete
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "payment-service.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_url")
    if url is None:
        pytest.skip(f"no PostgreSQL server answers (set {POSTGRES_ENV} to require one)")
    truncate_all(url)
    return url


def make_settings(database_url: str, **overrides: Any) -> Settings:
    environ = {
        "PAYMENT_DATABASE_URL": database_url,
        "PAYMENT_LOAD_PLUGINS": "false",
    }
    return Settings.load(environ=environ, env_file=None, **overrides)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    app = create_app(settings)
    yield app
    app.extensions["payment_service"].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()

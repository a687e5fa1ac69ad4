"""The database never hangs a request (issue #12, items 4 and 5).

SQLite: WAL, reads that take no write lock, a bounded wait for the write lock (503, never a
500 "database is locked"). PostgreSQL behind a TCP proxy that refuses, then blackholes (accepts
and never answers; stops forwarding open connections), then forwards again: every route
answers a clear 503 within the timeouts, and the service recovers by itself.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from payment_service.crypto import Cipher
from payment_service.db import Database, DatabaseUnavailable, PaymentHistory
from payment_service.db.migrate import upgrade

from .conftest import PASSWORD, open_backend, pay
from .peers import TcpProxy

pytestmark = pytest.mark.realtime  # a database held, refused and blackholed for real seconds

DB_TIMEOUT_S = 2.0


def sqlite_database(tmp_path: Path, timeout_s: float = 1.0) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'db.sqlite3'}", timeout_s=timeout_s)
    upgrade(database)
    return database


def hold_the_write_lock(database: Database, seconds: float) -> threading.Thread:
    held = threading.Event()

    def writer() -> None:
        with database.transaction() as session:
            session.execute(text("UPDATE payment_histories SET price = price"))
            held.set()
            time.sleep(seconds)

    thread = threading.Thread(target=writer)
    thread.start()
    held.wait(5)
    return thread


def test_sqlite_is_in_wal_mode(tmp_path):
    database = sqlite_database(tmp_path)
    with database.reading() as session:
        assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    database.dispose()


def test_sqlite_reads_do_not_wait_for_a_writer(tmp_path):
    database = sqlite_database(tmp_path, timeout_s=5.0)
    writer = hold_the_write_lock(database, 2.0)
    started = time.monotonic()
    with database.reading() as session:
        assert session.scalars(select(PaymentHistory)).all() == []
    database.check()
    assert time.monotonic() - started < 1.0  # not behind the 2 s writer
    writer.join()
    database.dispose()


def test_sqlite_writers_queue_and_a_too_long_wait_is_a_503(tmp_path):
    database = sqlite_database(tmp_path, timeout_s=1.0)
    # A short writer ahead: the next one waits for it and succeeds.
    writer = hold_the_write_lock(database, 0.3)
    with database.transaction() as session:
        session.execute(text("UPDATE payment_histories SET price = price"))
    writer.join()
    # A writer ahead for longer than the busy timeout: 503 "busy", not a 500 "locked".
    writer = hold_the_write_lock(database, 3.0)
    started = time.monotonic()
    with pytest.raises(DatabaseUnavailable) as caught, database.transaction() as session:
        session.execute(text("UPDATE payment_histories SET price = price"))
    assert caught.value.status == 503
    assert "busy" in caught.value.message
    assert time.monotonic() - started < 2.5
    writer.join()
    database.dispose()


def call_every_route(backend, source: dict[str, str]) -> dict[str, requests.Response]:
    """One request per kind of route; the keys name them."""
    cipher = Cipher(backend.key, backend.iv)

    def encrypted(method: str, path: str, body: dict) -> requests.Response:
        return requests.request(
            method,
            backend.url + path,
            data=cipher.encrypt(json.dumps(body)),
            headers={"Content-Type": "text/plain"},
            timeout=30,
        )

    webhook = {"eventType": "PAYMENT_STATUS_CHANGED", "data": {"paymentKey": "k", "status": "DONE"}}
    return {
        "health": requests.get(backend.url + "/monitors/health", timeout=30),
        "webhooks": requests.get(backend.url + "/monitors/webhooks", timeout=30),
        "get": encrypted("PATCH", "/payments/histories/get", {**source, "password": PASSWORD}),
        "cancel": encrypted(
            "PUT",
            "/payments/histories/cancel",
            {"source": source, "password": PASSWORD, "price": 1, "reason": "x", "account": None},
        ),
        "inbound": requests.post(backend.url + "/payments/webhooks/toss", json=webhook, timeout=30),
    }


def assert_all_503(backend, source, password_in_url: str) -> float:
    started = time.monotonic()
    answers = call_every_route(backend, source)
    for route, response in answers.items():
        assert response.status_code == 503, (route, response.status_code, response.text)
        assert response.json()["statusCode"] == 503, route
        assert password_in_url not in response.text and "127.0.0.1" not in response.text
    return time.monotonic() - started


def test_postgresql_refused_then_blackholed_then_back(database_url, gateway):
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        pytest.skip("a network database only")
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    proxied = url.set(host="127.0.0.1", port=proxy.port, password="s3cret-in-url")
    backend = open_backend(
        proxied.render_as_string(hide_password=False),
        gateway,
        PAYMENT_DATABASE_TIMEOUT_S=str(DB_TIMEOUT_S),
    )
    try:
        paid = pay(backend)
        source = paid.source
        assert call_every_route(backend, source)["get"].status_code == 200

        proxy.set_mode("refuse")
        # Five routes, one after the other, each refused at once.
        assert assert_all_503(backend, source, "s3cret-in-url") < 5 * 1.0 + 2

        proxy.set_mode("blackhole")
        # Each waits at most about the database timeout (plus the watchdog's grace).
        seconds = assert_all_503(backend, source, "s3cret-in-url")
        assert seconds < 5 * (DB_TIMEOUT_S + 2)

        proxy.set_mode("forward")
        deadline = time.monotonic() + 30
        while requests.get(backend.url + "/monitors/health", timeout=30).status_code != 200:
            assert time.monotonic() < deadline, "the service did not recover"
            time.sleep(0.2)
        answers = call_every_route(backend, source)
        assert answers["get"].status_code == 200
        assert answers["webhooks"].status_code == 200
        assert answers["cancel"].status_code == 200
    finally:
        backend.close()
        proxy.stop()

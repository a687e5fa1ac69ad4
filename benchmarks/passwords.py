"""Look-ups with the verified-credential cache, against bcrypt on every request, in one run.

The same stored payments are looked up (PATCH /payments/histories/{id}, encrypted, through the
whole app) three ways:

* baseline: a server with the cache off (`PAYMENT_PASSWORD_CACHE_S=0`), one bcrypt per request;
* first look-ups: a server with the cache on, each payment opened once (every one a miss);
* repeated look-ups: the same server, each payment opened again and again (every one a hit).

Targets: repeated look-ups at least 10x the baseline rate; first look-ups no slower than the
baseline (within 10 % for noise on a loaded machine).

    .venv/bin/python benchmarks/passwords.py [--rows 20] [--repeats 25] [--database-url URL]

With `--database-url` (e.g. a scratch PostgreSQL database) the rows are added there and removed
at the end; the default is a temporary SQLite file.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import delete

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from payment_service.app import create_app
from payment_service.crypto import hash_password
from payment_service.db import AuthFailure, Database, PaymentHistory
from payment_service.db.migrate import upgrade
from payment_service.settings import Settings

REPEATED_TARGET = 10.0
FIRST_TARGET = 0.9
PASSWORD = "benchmark-password"


def settings(url: str, cache_s: float) -> Settings:
    environ = {"PAYMENT_DATABASE_URL": url, "PAYMENT_PASSWORD_CACHE_S": str(cache_s)}
    return Settings.load(environ=environ, env_file=None, load_plugins=False)


def seed(url: str, rows: int) -> list[str]:
    keys = settings(url, 0).keys
    hashed = hash_password(PASSWORD)
    now = datetime.now(UTC)
    database = Database(url)
    with database.transaction() as session:
        histories = [
            PaymentHistory(
                source_schema="benchmark",
                source_table="orders",
                source_id=str(uuid.uuid4()),
                vendor_code="toss.payments",
                vendor_uid=str(uuid.uuid4()),
                vendor_store_id="store",
                currency="KRW",
                price=Decimal(20000),
                refund=Decimal(0),
                webhook_url="http://127.0.0.1:9/webhook",
                data=keys.history.encrypt_json({"status": "DONE", "method": "카드"}),
                password=hashed,
                created_at=now,
                confirmed_at=now,
            )
            for _ in range(rows)
        ]
        session.add_all(histories)
        session.flush()
        ids = [history.id for history in histories]
    database.dispose()
    return ids


def remove(url: str, ids: list[str]) -> None:
    database = Database(url)
    with database.transaction() as session:
        session.execute(delete(PaymentHistory).where(PaymentHistory.id.in_(ids)))
        session.execute(delete(AuthFailure).where(AuthFailure.client == "127.0.0.1"))
    database.dispose()


class Server:
    """One app over the shared database, and the time it spent answering look-ups."""

    def __init__(self, url: str, cache_s: float):
        self.app = create_app(settings(url, cache_s), deliver_webhooks=False)
        self.client = self.app.test_client()
        cipher = self.app.extensions["payment_service"].settings.keys.connection
        self.body = cipher.encrypt_json({"password": PASSWORD})

    def timed_pass(self, ids: list[str]) -> float:
        started = time.perf_counter()
        for id in ids:
            response = self.client.patch(
                f"/payments/histories/{id}", data=self.body, content_type="text/plain"
            )
            assert response.status_code == 200, response.get_data(as_text=True)
        return time.perf_counter() - started

    def close(self) -> None:
        self.app.extensions["payment_service"].close()


def measure(url: str, ids: list[str], repeats: int) -> tuple[float, float, float]:
    """Look-ups per second: baseline, first, repeated. The three are interleaved, so that the
    load of a shared machine weighs on each alike."""
    baseline, cached = Server(url, 0), Server(url, 600)
    try:
        baseline.timed_pass(ids[:2])  # warm-up: connection pool, ORM compilation
        baseline_time, first_time, repeated_time = 0.0, 0.0, 0.0
        baseline_count = 0
        for id in ids:  # each payment: once bcrypt-bound, once as a first (missing) look-up
            baseline_time += baseline.timed_pass([id])
            first_time += cached.timed_pass([id])
        baseline_count += len(ids)
        for round in range(repeats):
            repeated_time += cached.timed_pass(ids)
            if round % 5 == 4:  # more baseline samples, spread over the repeated passes
                baseline_time += baseline.timed_pass(ids[: len(ids) // 4 or 1])
                baseline_count += len(ids) // 4 or 1
        return (
            baseline_count / baseline_time,
            len(ids) / first_time,
            repeats * len(ids) / repeated_time,
        )
    finally:
        baseline.close()
        cached.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=25)
    parser.add_argument("--database-url")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = arguments.database_url or f"sqlite:///{tmp}/bench.sqlite3"
        database = Database(url)
        upgrade(database)
        database.dispose()
        ids = seed(url, arguments.rows)
        try:
            baseline, first, repeated = measure(url, ids, arguments.repeats)
        finally:
            remove(url, ids)
    report: list[tuple[str, float, float, Callable[[float], bool], str]] = [
        (
            "first look-ups",
            first,
            first / baseline,
            lambda r: r >= FIRST_TARGET,
            f">= {FIRST_TARGET}",
        ),
        (
            "repeated look-ups",
            repeated,
            repeated / baseline,
            lambda r: r >= REPEATED_TARGET,
            f">= {REPEATED_TARGET:g}",
        ),
    ]
    backend = url.split(":", 1)[0]
    print(f"{len(ids)} payments on {backend}; {arguments.repeats} repeated passes")
    print(f"baseline, bcrypt per request: {baseline:9.1f} look-ups/s")
    ok = True
    for name, value, ratio, meets, target in report:
        verdict = "ok" if meets(ratio) else "MISSES TARGET"
        ok = ok and meets(ratio)
        print(
            f"{name + ':':<29} {value:9.1f} look-ups/s  {ratio:7.2f}x  (target {target}: {verdict})"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

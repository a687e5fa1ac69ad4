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
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from payment_service.app import create_app
from payment_service.crypto import hash_password
from payment_service.db import AuthFailure, Database, PaymentHistory
from payment_service.db.migrate import upgrade
from payment_service.settings import Settings
from tests.support.rows import confirmed_history

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
            confirmed_history(
                keys.history,
                "http://127.0.0.1:9/webhook",
                password=hashed,
                vendor_code="toss.payments",
                data={"status": "DONE", "method": "카드"},
                now=now,
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


@dataclass
class Tally:
    """Look-ups counted with the wall-clock and CPU time (of this process) they took."""

    count: int = 0
    wall: float = 0.0
    cpu: float = 0.0

    def add(self, other: Tally) -> None:
        self.count += other.count
        self.wall += other.wall
        self.cpu += other.cpu

    def rate(self) -> float:
        return self.count / self.wall

    def cpu_rate(self) -> float:
        return self.count / self.cpu


class Server:
    """One app over the shared database, answering look-ups through its whole stack."""

    def __init__(self, url: str, cache_s: float):
        self.app = create_app(settings(url, cache_s))
        self.client = self.app.test_client()
        cipher = self.app.extensions["payment_service"].settings.keys.connection
        self.body = cipher.encrypt_json({"password": PASSWORD})

    def look_up(self, ids: list[str]) -> Tally:
        wall, cpu = time.perf_counter(), time.process_time()
        for id in ids:
            response = self.client.patch(
                f"/payments/histories/{id}", data=self.body, content_type="text/plain"
            )
            assert response.status_code == 200, response.get_data(as_text=True)
        return Tally(len(ids), time.perf_counter() - wall, time.process_time() - cpu)

    def close(self) -> None:
        self.app.extensions["payment_service"].close()


def measure(url: str, ids: list[str], repeats: int) -> tuple[Tally, Tally, Tally]:
    """Baseline, first and repeated look-ups, finely interleaved so that the load of a shared
    machine weighs on each alike."""
    uncached, cached = Server(url, 0), Server(url, 600)
    baseline, first, repeated = Tally(), Tally(), Tally()
    try:
        uncached.look_up(ids[:1])  # warm-up: connection pool, ORM compilation
        for id in ids:  # each payment: once bcrypt-bound, once as a first (missing) look-up
            baseline.add(uncached.look_up([id]))
            first.add(cached.look_up([id]))
        for round in range(repeats):  # a pass of hits, then one more baseline sample
            repeated.add(cached.look_up(ids))
            baseline.add(uncached.look_up([ids[round % len(ids)]]))
        return baseline, first, repeated
    finally:
        uncached.close()
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
    backend = url.split(":", 1)[0]
    print(f"{len(ids)} payments on {backend}; {arguments.repeats} repeated passes")
    print(f"{'':<30}{'look-ups/s':>12}{'ratio':>9}{'CPU ratio':>11}")
    print(f"{'baseline, bcrypt per request':<30}{baseline.rate():>12.1f}")
    ok = True
    for name, tally, target in (
        ("first look-ups", first, FIRST_TARGET),
        ("repeated look-ups", repeated, REPEATED_TARGET),
    ):
        ratio = tally.rate() / baseline.rate()
        cpu_ratio = tally.cpu_rate() / baseline.cpu_rate()
        verdict = "ok" if ratio >= target else "MISSES TARGET"
        ok = ok and ratio >= target
        print(
            f"{name:<30}{tally.rate():>12.1f}{ratio:>8.2f}x{cpu_ratio:>10.2f}x"
            f"  (target >= {target:g}: {verdict})"
        )
    # This process's CPU only: with PostgreSQL the database's own work is not in it.
    print("CPU ratio: the same, per CPU-second of this process (steadier on a loaded machine)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

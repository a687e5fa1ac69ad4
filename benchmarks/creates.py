"""Creates against the bcrypt bound: what a payment's registration costs besides hashing its
password, in one run.

A create (`POST /payments/histories`, encrypted, through the whole app) asks the gateway for
the payment, hashes the owner's password with bcrypt (cost 10) and inserts the history; bcrypt
is by far its largest part, so a machine can create at most `cores / one hash` payments a
second. Both are measured here in one process:

* baseline: one cost-10 hash (`crypto.hash_password`), repeated, CPU time each;
* subject: 8 clients creating payments already paid at the fake Toss (paid beforehand, not
  timed), against the embedded server — the server, the fake gateway it asks and the clients
  all in this process, so every CPU-second they use is counted.

The ratio is creates per CPU-second over hashes per CPU-second: the share of the bcrypt bound
that creates reach (target >= 0.85). CPU time, not wall time, so that a machine shared with
other work weighs on both alike; the fake gateway's and the clients' own work is counted
against the server (the ratio errs low).

    .venv/bin/python benchmarks/creates.py [--creates 64] [--database-url URL]

`--database-url` is emptied: point it at a scratch database.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.webhook_latency import empty  # noqa: E402
from payment_service.crypto import hash_password  # noqa: E402
from payment_service.db import Database  # noqa: E402
from payment_service.db.migrate import upgrade  # noqa: E402
from tests.outside.conftest import (  # noqa: E402
    PASSWORD,
    STORE,
    client_of,
    gateway_kind,
    open_backend,
)
from tests.outside.peers import GatewayStandIn  # noqa: E402

CLIENTS = 8
TARGET = 0.85


def hash_cpu_s(rounds: int = 12) -> float:
    """CPU seconds of one cost-10 bcrypt hash (median)."""
    costs = []
    for _ in range(rounds):
        started = time.process_time()
        hash_password(PASSWORD)
        costs.append(time.process_time() - started)
    return statistics.median(costs)


def creates(backend, count: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) for `count` creates by CLIENTS clients."""
    orders = [str(uuid.uuid4()) for _ in range(count)]
    keys = [backend.customer.pay_toss_card(20000, order) for order in orders]
    webhook_url = backend.webhook_receiver().url
    clients = [client_of(backend) for _ in range(CLIENTS)]

    def create(index: int) -> None:
        clients[index % CLIENTS].histories.create(
            vendor={"code": "toss.payments", "store_id": STORE, "uid": keys[index]},
            source={"schema": "shop", "table": "orders", "id": orders[index]},
            price=20000,
            password=PASSWORD,
            webhook_url=webhook_url,
        )

    wall, cpu = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(create, range(count)))
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--creates", type=int, default=64)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)
    for noisy in ("werkzeug", "payment_service", "fake_servers"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/creates.sqlite3"
        if args.database_url:
            database = Database(url)
            upgrade(database)
            empty(database)
            database.dispose()
        with GatewayStandIn(classify=gateway_kind) as gateway:
            backend = open_backend(url, gateway)
            try:
                creates(backend, CLIENTS)  # warm up: connections, caches, JIT-less imports
                before = hash_cpu_s()
                wall, cpu = creates(backend, args.creates)
                after = hash_cpu_s()
            finally:
                backend.close()
    one_hash = (before + after) / 2
    ratio = (args.creates / cpu) / (1 / one_hash)
    print(f"{args.creates} creates by {CLIENTS} clients, {url.split(':')[0]}, in one process")
    print(
        f"  one cost-10 bcrypt hash: {one_hash * 1000:.1f} ms CPU "
        f"→ bound {1 / one_hash:.1f}/s per core"
    )
    print(
        f"  creates: {args.creates / wall:.1f}/s wall, {cpu / args.creates * 1000:.1f} ms CPU each"
        f" → {args.creates / cpu:.1f} per CPU-second"
    )
    verdict = "ok" if ratio >= TARGET else "MISSED"
    print(
        f"  ratio creates / bcrypt bound (per CPU-second): {ratio:.2f}  "
        f"(target >= {TARGET}: {verdict})"
    )
    print(f"  load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0 if ratio >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())

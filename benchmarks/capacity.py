"""What one payment, one refund and one webhook cost the database and the CPU: the figures of
the capacity model (docs/capacity.md), measured in one run.

Through the embedded server (its own process: server, fake Toss and clients in one process):

* creates: payments paid at the fake Toss beforehand, registered by 8 clients;
* refunds: a partial cancel of each of them (the gateway's answer recorded, a webhook queued,
  and delivered by the server's dispatcher to a receiver);
* deliveries: webhooks queued directly and delivered by a dispatcher of their own (claim,
  POST, record), so that their cost is apart from the refunds'.

For each: SQL statements the server sent (counted on its engine, by the thread that sent them:
request threads or delivery threads), bytes the database grew by (`pg_database_size`: rows,
indexes, dead row versions until vacuumed; refunds without their webhooks' deliveries) and CPU
milliseconds of this process per operation. The write-ahead log carries about these bytes
again (more after each checkpoint: full pages), and so does every replica.

    .venv/bin/python benchmarks/capacity.py --database-url postgresql+psycopg://…/scratch
        [--count 64]

The database is emptied: point it at a scratch database. PostgreSQL only.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from benchmarks.senders import release, seed  # noqa: E402
from benchmarks.webhook_latency import empty, environment  # noqa: E402
from payment_service.app import create_runtime  # noqa: E402
from payment_service.db import Database  # noqa: E402
from payment_service.db.migrate import upgrade  # noqa: E402
from payment_service.delivery.dispatcher import Dispatcher  # noqa: E402
from payment_service.settings import Settings  # noqa: E402
from payment_service.testing import WebhookReceiver  # noqa: E402
from tests.outside.conftest import (  # noqa: E402
    PASSWORD,
    STORE,
    client_of,
    gateway_kind,
    open_backend,
)
from tests.outside.peers import GatewayStandIn  # noqa: E402

CLIENTS = 8


class Statements:
    """SQL statements sent through an engine, by kind of thread."""

    def __init__(self, engine: Any):
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        event.listen(engine, "before_cursor_execute", self._count)
        event.listen(engine, "commit", self._commit)

    def _count(self, *_: Any) -> None:
        with self._lock:
            self.counts[self._kind()] += 1

    def _commit(self, *_: Any) -> None:
        with self._lock:
            self.counts[f"{self._kind()} commits"] += 1

    @staticmethod
    def _kind() -> str:
        name = threading.current_thread().name
        if "housekeep" in name:
            return "housekeeping"
        return "delivery" if name.startswith("webhook-delivery") else "request"

    def take(self) -> Counter[str]:
        with self._lock:
            counts, self.counts = self.counts, Counter()
        return counts


def stored_bytes(database: Database) -> int:
    """The database's size on disk (tables, indexes, TOAST; this database only, unlike
    `pg_stat_wal`, which counts every database of a server shared with other work)."""
    query = text("SELECT pg_database_size(current_database())")
    with database.engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


class Phase:
    """Wall time, this process's CPU time and the database's growth over a block."""

    def __init__(self, database: Database):
        self.database = database

    def __enter__(self) -> Phase:
        self.grown, self.cpu, self.grownl = (
            stored_bytes(self.database),
            time.process_time(),
            time.perf_counter(),
        )
        return self

    def __exit__(self, *_: object) -> None:
        self.grownl = time.perf_counter() - self.grownl
        self.cpu = time.process_time() - self.cpu
        self.grown = stored_bytes(self.database) - self.grown


def through_the_server(url: str, count: int) -> dict[str, tuple[Phase, Counter[str], int]]:
    results = {}
    with GatewayStandIn(classify=gateway_kind) as gateway:
        backend = open_backend(url, gateway)
        try:
            statements = Statements(backend.runtime.database.engine)
            receiver = backend.webhook_receiver()
            orders = [str(uuid.uuid4()) for _ in range(count)]
            keys = [backend.customer.pay_toss_card(20000, order) for order in orders]
            clients = [client_of(backend) for _ in range(CLIENTS)]
            sources = [{"schema": "shop", "table": "orders", "id": order} for order in orders]

            def create(index: int) -> None:
                clients[index % CLIENTS].histories.create(
                    vendor={"code": "toss.payments", "store_id": STORE, "uid": keys[index]},
                    source=sources[index],
                    price=20000,
                    password=PASSWORD,
                    webhook_url=receiver.url,
                )

            def refund(index: int) -> None:
                clients[index % CLIENTS].histories.cancel(
                    source=sources[index], password=PASSWORD, price=5000, reason="capacity"
                )

            statements.take()
            with Phase(backend.runtime.database) as creates, ThreadPoolExecutor(CLIENTS) as pool:
                list(pool.map(create, range(count)))
            time.sleep(1.0)  # any webhook of the creates delivered before the refunds begin
            results["create"] = (creates, statements.take(), 0)
            before = len(receiver.received)
            with Phase(backend.runtime.database) as refunds, ThreadPoolExecutor(CLIENTS) as pool:
                list(pool.map(refund, range(count)))
                receiver.wait_for_count(before + count, timeout=120)
            results["refund"] = (refunds, statements.take(), len(receiver.received) - before)
        finally:
            backend.close()
    return results


def deliveries(url: str, count: int) -> tuple[Phase, Counter[str]]:
    env = environment(url)
    runtime = create_runtime(Settings.load(environ=env, env_file=None))
    keys = runtime.settings.keys.connection
    try:
        with WebhookReceiver(keys.key, keys.iv) as receiver:
            seed(runtime, receiver.url, count)
            statements = Statements(runtime.database.engine)
            dispatcher = Dispatcher(runtime)
            release(runtime)
            statements.take()
            with Phase(runtime.database) as phase:
                while dispatcher.run_once(1):
                    pass
            assert len(receiver.received) == count
            counts = statements.take()
            # run_once: this thread delivered
            counts["delivery"] += counts.pop("request", 0)
            counts["delivery commits"] += counts.pop("request commits", 0)
            return phase, counts
    finally:
        runtime.close()


def pgbench(url: str, seconds: int = 5) -> dict[str, float] | None:
    """What the database server itself sustains on this machine, as a yardstick: pgbench's
    TPC-B-like transactions (5 statements, 3 updates, a durable commit) and select-only ones,
    4 clients. Its tables are made in the scratch database and dropped."""
    if shutil.which("pgbench") is None:
        return None
    target = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    figures = {}
    subprocess.run(["pgbench", "-i", "-q", "-s", "1", target], check=True, capture_output=True)
    try:
        for name, extra in (("tpc-b", []), ("select-only", ["-S"])):
            run = subprocess.run(
                ["pgbench", *extra, "-c", "4", "-j", "2", "-T", str(seconds), target],
                check=True,
                capture_output=True,
                text=True,
            )
            found = re.search(r"tps = ([0-9.]+)", run.stdout)
            figures[name] = float(found.group(1)) if found else float("nan")
    finally:
        subprocess.run(["pgbench", "-i", "-I", "d", target], capture_output=True)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True, help="a scratch PostgreSQL database")
    parser.add_argument("--count", type=int, default=64)
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)
    for noisy in ("werkzeug", "payment_service", "fake_servers"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
    database = Database(args.database_url)
    upgrade(database)
    empty(database)
    database.dispose()
    server = through_the_server(args.database_url, args.count)
    delivered, delivery_statements = deliveries(args.database_url, args.count)
    per_webhook_bytes = delivered.grown / args.count
    print(f"{args.count} of each, PostgreSQL, per operation:")
    print(f"  {'':22} {'statements':>10} {'commits':>8} {'bytes':>10} {'CPU ms':>8} {'wall/s':>8}")
    for name, (phase, counts, webhooks) in server.items():
        grown = phase.grown - webhooks * per_webhook_bytes  # the webhooks' deliveries are apart
        print(
            f"  {name:22} {counts['request'] / args.count:10.1f} "
            f"{counts['request commits'] / args.count:8.1f} {grown / args.count:10.0f} "
            f"{phase.cpu / args.count * 1000:8.1f} {args.count / phase.grownl:8.1f}"
        )
    print(
        f"  {'webhook delivery':22} {delivery_statements['delivery'] / args.count:10.1f} "
        f"{delivery_statements['delivery commits'] / args.count:8.1f} "
        f"{per_webhook_bytes:10.0f} {delivered.cpu / args.count * 1000:8.1f} "
        f"{args.count / delivered.grownl:8.1f}   (one thread)"
    )
    print("  (statements: sent by the server; transactions' BEGIN/COMMIT are not statements)")
    yardstick = pgbench(args.database_url)
    if yardstick:
        print(
            f"  the database server alone (pgbench, 4 clients): {yardstick['tpc-b']:.0f} TPC-B "
            f"transactions/s, {yardstick['select-only']:.0f} single-row selects/s"
        )
    print(f"  load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())

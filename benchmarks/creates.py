"""Creates against the bcrypt bound: what a payment's registration costs besides hashing its
password, in one run.

A create (`POST /payments/histories`, encrypted, through the whole app) asks the gateway for
the payment, hashes the owner's password with bcrypt (cost 10) and inserts the history; bcrypt
is by far its largest part, so a machine can create at most `cores / one hash` payments a
second. Both are measured here in one process:

* baseline: one cost-10 hash (`crypto.hash_password`), repeated, CPU time each;
* subject: 8 clients creating payments already paid at the fake Toss (paid beforehand, not
  timed), twice: against the embedded server (the server, the fake gateway it asks and the
  clients all in this process, every CPU-second they use counted: the ratio errs low), then
  against `payment-service serve --api-only` (2 gunicorn workers), counting the CPU of its
  processes alone — the server's own cost, which the target is about — in several rounds
  against the one server; the verdict is on their median.

The ratio is creates per CPU-second over hashes per CPU-second: the share of the bcrypt bound
that creates reach (target >= 0.85). CPU time, not wall time, so that a machine shared with
other work weighs on both alike. For the server's ratio the hash is also timed *while* the
server runs (a hash every quarter second on a thread of this process, its own CPU time): a
virtual machine's speed drifts by several per cent within a minute, and a hash timed at the
same moments as the creates drifts with them, where one timed before or after does not (the
idle figure is printed too, and is the in-process line's bound: that process's CPU would count
the timing thread's hashes).

    .venv/bin/python benchmarks/creates.py [--creates 256] [--rounds 3] [--database-url URL]

`--database-url` is emptied: point it at a scratch database.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.health import cpu_seconds, start, stop  # noqa: E402
from benchmarks.webhook_latency import empty  # noqa: E402
from payment_service.crypto import hash_password  # noqa: E402
from payment_service.db import Database  # noqa: E402
from payment_service.db.migrate import upgrade  # noqa: E402
from payment_service.settings import Settings  # noqa: E402
from payment_service.testing.customer import Customer  # noqa: E402
from payment_service.testing.fakes import GatewayFakes  # noqa: E402
from tests.outside.conftest import (  # noqa: E402
    PASSWORD,
    STORE,
    client_of,
    gateway_kind,
    open_backend,
)
from tests.outside.peers import GatewayStandIn  # noqa: E402
from tests.support.servers import free_port, wait_for_health  # noqa: E402

BIN = Path(sys.executable).parent
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


class HashesMeanwhile:
    """Time one cost-10 hash every quarter second, each by its thread's CPU time, for as long
    as the `with` block runs: the bound at the same moments as what the block measures."""

    def __init__(self) -> None:
        self.costs: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hashes-meanwhile", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.25):
            started = time.thread_time()
            hash_password(PASSWORD)
            self.costs.append(time.thread_time() - started)

    def __enter__(self) -> HashesMeanwhile:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def median(self) -> float:
        return statistics.median(self.costs)


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


def through_serve(url: str, count: int, rounds: int, tmp: str) -> list[tuple[float, float, float]]:
    """Per round: (wall seconds, CPU seconds of the API's processes alone, CPU seconds of one
    hash meanwhile) for `count` creates against `payment-service serve --api-only` (2 gunicorn
    workers), the fakes and the clients in this process: the server's own cost, without
    theirs."""
    fakes = GatewayFakes(ports=0).start()
    port = free_port()
    env = {
        **os.environ,
        "PAYMENT_DATABASE_URL": url,
        "PAYMENT_VENDORS": json.dumps(fakes.vendor_options()),
        "PAYMENT_LOG_FORMAT": "json",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    server = start(
        [str(BIN / "payment-service"), "serve", "--api-only", "--port", str(port)],
        env,
        Path(tmp, "serve.log"),
    )
    try:
        wait_for_health(f"http://127.0.0.1:{port}", server)
        keys = Settings.load(environ={"PAYMENT_DATABASE_URL": url}, env_file=None).keys
        backend = SimpleNamespace(
            url=f"http://127.0.0.1:{port}",
            key=keys.connection.key,
            iv=keys.connection.iv,
            customer=Customer(fakes),
            webhook_receiver=lambda: SimpleNamespace(url="http://127.0.0.1:9/webhook"),
        )
        creates(backend, CLIENTS)  # warm up both workers
        measured = []
        for _ in range(rounds):
            before = cpu_seconds(server.pid)
            with HashesMeanwhile() as meanwhile:
                wall, _ = creates(backend, count)
            measured.append((wall, cpu_seconds(server.pid) - before, meanwhile.median()))
        return measured
    finally:
        stop(server)
        fakes.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--creates", type=int, default=256, help="per round")
    parser.add_argument("--rounds", type=int, default=3, help="of creates through serve")
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
        served = through_serve(url, args.creates, args.rounds, tmp)
        last = hash_cpu_s()
    one_hash = (before + after + last) / 3
    print(f"{args.creates} creates by {CLIENTS} clients, {url.split(':')[0]}")
    print(f"  one cost-10 bcrypt hash alone: {one_hash * 1000:.1f} ms CPU")
    print(
        f"  in one process (server, fake gateway, clients): {args.creates / wall:.1f}/s wall, "
        f"{cpu / args.creates * 1000:.1f} ms CPU each → {one_hash / (cpu / args.creates):.2f} "
        "of the bound"
    )
    ratios = []
    for number, (wall_s, cpu_s, meanwhile) in enumerate(served, 1):
        ratios.append(meanwhile / (cpu_s / args.creates))
        print(
            f"  serve --api-only, its processes' CPU only, round {number}: "
            f"{args.creates / wall_s:.1f}/s wall, {cpu_s / args.creates * 1000:.1f} ms CPU each, "
            f"a hash meanwhile {meanwhile * 1000:.1f} ms → {ratios[-1]:.2f} of the bound"
        )
    ratio = statistics.median(ratios)
    failed = ratio < TARGET
    verdict = "ok" if not failed else "MISSED"
    print(
        f"  ratio of the server alone (serve), median of {len(ratios)} rounds: {ratio:.3f}; "
        f"target >= {TARGET}: {verdict}"
    )
    print(f"  load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Throughput of durable webhook delivery, as a ratio against fire-and-forget POSTs.

N outbox rows are delivered by a dispatcher (claim through the database, POST, record the
attempt) to a local receiver; the baseline POSTs the same N bodies with as many threads and no
bookkeeping, as the original server did. Two receivers:

* one answering in 20 ms, like a service on the same network: durability may at most double
  the time (ratio <= 2);
* one answering at once on loopback, which exposes the bookkeeping itself (two short
  transactions per webhook, a few ms of database and ORM work): at most 6x.

    .venv/bin/python benchmarks/delivery.py [--webhooks 300] [--database-url URL]
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from payment_service.app import create_runtime
from payment_service.db import Database, PaymentHistory, PaymentHistoryWebhook
from payment_service.db.migrate import upgrade
from payment_service.delivery.dispatcher import Dispatcher
from payment_service.delivery.operations import has_pending
from payment_service.delivery.outbox import enqueue
from payment_service.delivery.payload import build_request
from payment_service.payments.views import history_view
from payment_service.settings import Settings
from payment_service.testing import WebhookReceiver
from tests.support.rows import confirmed_history

TARGETS = {0.02: 2.0, 0.0: 6.0}  # receiver latency (s) -> largest acceptable ratio
WORKERS = 4


def seed(runtime, url: str, count: int) -> list[str]:
    now = datetime.now(UTC)
    ids = []
    with runtime.database.transaction() as session:
        for _ in range(count):  # one webhook per payment: no ordering waits
            history = confirmed_history(
                runtime.settings.keys.history,
                url,
                vendor_code="bench",
                data={"status": "DONE"},
                now=now,
            )
            session.add(history)
            session.flush()
            view = history_view(history, runtime.settings.keys.history)
            webhook = enqueue(session, history, view, view, {}, runtime.settings, now)
            session.flush()
            ids.append(webhook.id)
    return ids


def run(url: str, count: int, latency: float) -> tuple[float, float]:
    """Seconds for (fire-and-forget POSTs, durable delivery) of `count` webhooks."""
    upgrade(Database(url))
    settings = Settings.load(
        environ={
            "PAYMENT_DATABASE_URL": url,
            "PAYMENT_WEBHOOK_WORKERS": str(WORKERS),
            "PAYMENT_WEBHOOK_POLL_S": "0.01",
            "PAYMENT_LOAD_PLUGINS": "false",
        },
        env_file=None,
    )
    runtime = create_runtime(settings)
    keys = settings.keys.connection
    with WebhookReceiver(keys.key, keys.iv) as receiver:
        receiver.delay_s = latency
        ids = seed(runtime, receiver.url, count)
        with runtime.database.transaction() as session:
            bodies = []
            for webhook_id in ids:
                webhook = session.get(PaymentHistoryWebhook, webhook_id)
                history = session.get(PaymentHistory, webhook.payment_history_id)
                bodies.append(build_request(webhook, history, settings, int(time.time())))
        http = requests.Session()
        started = time.perf_counter()
        with ThreadPoolExecutor(WORKERS) as pool:
            list(pool.map(lambda r: http.post(receiver.url, data=r[0], headers=r[1]), bodies))
        baseline = time.perf_counter() - started
        receiver.clear()

        dispatcher = Dispatcher(runtime)
        started = time.perf_counter()
        dispatcher.start()
        while has_pending(runtime.database):
            time.sleep(0.005)
        durable = time.perf_counter() - started
        dispatcher.stop()
        assert len(receiver.received) == count
    runtime.close()
    return baseline, durable


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--webhooks", type=int, default=300)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    failed = False
    for latency, target in TARGETS.items():
        with tempfile.TemporaryDirectory() as tmp:
            url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
            if args.database_url:
                truncate(url)
            baseline, durable = run(url, args.webhooks, latency)
        ratio = durable / baseline
        failed |= ratio > target
        print(
            f"{args.webhooks} webhooks, {WORKERS} threads, {url.split(':')[0]}, "
            f"receiver answering in {latency * 1000:.0f} ms"
        )
        print(f"  fire-and-forget POSTs: {baseline:6.2f} s ({args.webhooks / baseline:5.0f}/s)")
        print(f"  durable delivery:      {durable:6.2f} s ({args.webhooks / durable:5.0f}/s)")
        verdict = "ok" if ratio <= target else "OVER TARGET"
        print(f"  ratio durable / plain: {ratio:6.2f}  (target <= {target}: {verdict})")
    return 1 if failed else 0


def truncate(url: str) -> None:
    from sqlalchemy import text

    from payment_service.db import Base

    database = Database(url)
    upgrade(database)
    names = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with database.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names}"))
    database.dispose()


if __name__ == "__main__":
    sys.exit(main())

"""`payment-service serve` as a user starts it (nothing set but the database): the API, a
webhook sender and a housekeeper as sibling processes; one `/metrics` counts all of them,
with one worker and with two; nothing is left behind once it stops, by a signal or because a
role died. Starting serve is costly: one test per instance runs every check on it, in order."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from payment_service.app import create_runtime
from payment_service.db.models import AuthFailure, PaymentHistoryWebhook
from payment_service.db.queries import auth_failures
from payment_service.runtime import Runtime
from payment_service.testing import WebhookReceiver
from tests.conftest import make_settings, truncate_all
from tests.delivery.conftest import seed
from tests.support.servers import free_port, wait_for_health

from .support import (
    alive,
    children,
    command_line,
    eventually,
    health_count,
    left_behind,
    scrape,
    start,
    user_environment,
    value,
    wait_exit,
)

SERVE = [sys.executable, "-m", "payment_service.cli", "serve"]


@dataclass
class Served:
    workers: int
    url: str
    process: object
    home: Path
    log: Path
    runtime: Runtime
    roles: dict[str, int]
    """Process id of each role by a word of its command line."""

    def metrics(self):
        return scrape(f"{self.url}/metrics")

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def roles_of(pid: int) -> dict[str, int]:
    found = {}
    for child in children(pid):
        line = command_line(child)
        for role in ("gunicorn", "deliver", "housekeeper"):
            if role in line:
                found[role] = child
    return found


@pytest.fixture(params=[(1, "sqlite"), (2, "postgresql")], ids=["1-worker", "2-workers"])
def served(request, tmp_path) -> Iterator[Served]:
    workers, database = request.param
    home = tmp_path
    if database == "sqlite":
        url = f"sqlite:///{home / 'payments.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres_url")
        if url is None:
            pytest.skip("no PostgreSQL server answers")
        truncate_all(url)
    port = free_port()
    env = user_environment(home, PAYMENT_DATABASE_URL=url)
    log = home / "serve.log"
    process = start([*SERVE, "--port", str(port), "--workers", str(workers)], env, log)
    try:
        wait_for_health(f"http://127.0.0.1:{port}", process, timeout=90)
        # serve's own readiness probes of /monitors/health end before it says it serves; the
        # counts below must not see a late one.
        eventually(lambda: "Ctrl-C stops" in log.read_text(errors="replace"))
        roles = eventually(lambda: len(roles_of(process.pid)) == 3 and roles_of(process.pid))
        with closing(create_runtime(make_settings(url))) as runtime:
            yield Served(workers, f"http://127.0.0.1:{port}", process, home, log, runtime, roles)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            wait_exit(process)


def the_api_counts_every_request_of_every_worker(served: Served):
    before = health_count(served.metrics())
    for _ in range(20):
        assert requests.get(f"{served.url}/monitors/health", timeout=10).status_code == 200
    assert health_count(served.metrics()) - before == 20
    workers = [p for p in children(served.roles["gunicorn"]) if "gunicorn" in command_line(p)]
    assert len(workers) == served.workers


def the_sender_delivers_and_its_count_shows_in_the_api_metrics(served: Served):
    keys = served.runtime.settings.keys.connection
    with WebhookReceiver(keys.key, keys.iv) as receiver:
        [[webhook_id]] = seed(served.runtime, receiver.url)
        receiver.wait_for(lambda webhook: True, timeout=30)

    def status() -> str:
        with served.runtime.database.reading() as session:
            return session.get(PaymentHistoryWebhook, webhook_id).status

    eventually(lambda: status() == "delivered")
    assert len(receiver.received) == 1
    delivered = eventually(
        lambda: value(served.metrics(), "payment_webhook_deliveries_total", outcome="delivered")
    )
    assert delivered == 1


def the_housekeeper_purges_old_failed_password_rows(served: Served):
    now = served.runtime.clock()
    window = timedelta(seconds=served.runtime.settings.auth_failures_window_s)
    with served.runtime.database.transaction() as session:
        auth_failures.add(session, ["198.51.100.7"], now - 2 * window, "an-old-attempt")
        auth_failures.add(session, ["198.51.100.8"], now, "a-recent-attempt")

    def clients() -> list[str]:
        with served.runtime.database.reading() as session:
            return sorted(session.scalars(select(AuthFailure.client)))

    eventually(lambda: clients() == ["198.51.100.8"], timeout=30)
    samples = served.metrics()
    runs = value(
        samples, "payment_housekeeping_jobs_total", job="purge_auth_failures", outcome="ok"
    )
    assert runs >= 1
    with served.runtime.database.reading() as session:
        assert session.scalar(select(func.count()).select_from(AuthFailure)) == 1


def stopping_ends_every_role_and_leaves_nothing_behind(served: Served):
    """With one worker the sender is killed: serve stops everything and names it. With two,
    SIGTERM: a clean stop."""
    if served.workers == 1:
        os.kill(served.roles["deliver"], signal.SIGKILL)
        assert wait_exit(served.process) == 1, served.output()
        assert "the webhook sender was killed by SIGKILL; stopping every role" in served.output()
    else:
        served.process.send_signal(signal.SIGTERM)
        assert wait_exit(served.process) == 0, served.output()
        assert "Traceback" not in served.output()
    assert [role for role, pid in served.roles.items() if alive(pid)] == []
    assert left_behind(served.home) == []


def test_serve_runs_every_role_counts_them_and_stops_them_all(served: Served):
    the_api_counts_every_request_of_every_worker(served)
    the_sender_delivers_and_its_count_shows_in_the_api_metrics(served)
    the_housekeeper_purges_old_failed_password_rows(served)
    stopping_ends_every_role_and_leaves_nothing_behind(served)

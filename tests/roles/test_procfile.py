"""The Procfile's lines, run as a process manager runs them (`sh -c LINE` in the checkout,
each in its own process group, stopped with SIGTERM): the API under gunicorn directly, the
sender and the housekeeper on their metrics ports. Set as a production user would: dev mode
with keys of its own, PostgreSQL, the ports the Procfile reads."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from payment_service.app import create_runtime
from payment_service.db.models import AuthFailure, PaymentHistoryWebhook
from payment_service.db.queries import auth_failures
from payment_service.runtime import Runtime
from payment_service.settings import Settings
from payment_service.testing import WebhookReceiver
from tests.conftest import truncate_all
from tests.delivery.conftest import seed
from tests.secret_keys import secret_keys_env
from tests.support.servers import free_port, wait_for_health

from .support import eventually, health_count, left_behind, scrape, user_environment, value

ROOT = Path(__file__).resolve().parents[2]


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line and not line.startswith("#"))


@dataclass
class Roles:
    processes: dict[str, subprocess.Popen[bytes]]
    ports: dict[str, int]
    home: Path
    runtime: Runtime

    def url(self, role: str) -> str:
        return f"http://127.0.0.1:{self.ports[role]}"


def test_the_procfile_has_a_line_per_role():
    lines = procfile()
    assert set(lines) == {"web", "sender", "housekeeper", "fakes"}
    assert "wsgi:app" in lines["web"] and "payment_service.roles.gunicorn_config" in lines["web"]


@pytest.fixture
def roles(tmp_path, postgres_url) -> Iterator[Roles]:
    if postgres_url is None:
        pytest.skip("no PostgreSQL server answers")
    truncate_all(postgres_url)
    home = tmp_path
    ports = {"web": free_port(), "sender": free_port(), "housekeeper": free_port()}
    payment = {
        **secret_keys_env(),
        "PAYMENT_MODE": "dev",
        "PAYMENT_DATABASE_URL": postgres_url,
        # dev mode refuses loopback receivers unless allowed: the test's receiver is local.
        "PAYMENT_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
        "PAYMENT_LOAD_PLUGINS": "false",
    }
    env = user_environment(
        home,
        **payment,
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        PORT=str(ports["web"]),
        WEB_CONCURRENCY="2",
        SENDER_METRICS_PORT=str(ports["sender"]),
        HOUSEKEEPER_METRICS_PORT=str(ports["housekeeper"]),
    )
    processes: dict[str, subprocess.Popen[bytes]] = {}
    settings = Settings.load(environ=payment, env_file=None)
    with closing(create_runtime(settings)) as runtime:
        try:
            for name in ("web", "sender", "housekeeper"):
                with (home / f"{name}.log").open("wb") as log:
                    processes[name] = subprocess.Popen(
                        ["sh", "-c", procfile()[name]],
                        env=env,
                        cwd=ROOT,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
            wait_for_health(f"http://127.0.0.1:{ports['web']}", processes["web"], timeout=90)
            for name in ("sender", "housekeeper"):
                eventually(lambda name=name: _answers(f"http://127.0.0.1:{ports[name]}/metrics"))
            yield Roles(processes, ports, home, runtime)
        finally:
            for process in processes.values():
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGTERM)
            for process in processes.values():
                process.wait(timeout=30)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).ok
    except requests.RequestException:
        return False


def the_web_line_counts_every_request_of_its_workers(roles: Roles):
    before = health_count(scrape(f"{roles.url('web')}/metrics"))
    for _ in range(20):
        assert requests.get(f"{roles.url('web')}/monitors/health", timeout=10).ok
    assert health_count(scrape(f"{roles.url('web')}/metrics")) - before == 20


def the_sender_line_delivers_and_counts_on_its_metrics_port(roles: Roles):
    keys = roles.runtime.settings.keys.connection
    with WebhookReceiver(keys.key, keys.iv) as receiver:
        [[webhook_id]] = seed(roles.runtime, receiver.url)
        receiver.wait_for(lambda webhook: True, timeout=30)

        def status() -> str:
            with roles.runtime.database.reading() as session:
                return session.get(PaymentHistoryWebhook, webhook_id).status

        eventually(lambda: status() == "delivered")
    samples = scrape(f"{roles.url('sender')}/metrics")
    assert value(samples, "payment_webhook_deliveries_total", outcome="delivered") == 1
    assert value(samples, "payment_webhooks_pending") == 0
    # The API's workers sent nothing: its /metrics has no delivery.
    web = scrape(f"{roles.url('web')}/metrics")
    assert value(web, "payment_webhook_deliveries_total", outcome="delivered") == 0


def the_housekeeper_line_purges_and_counts_on_its_metrics_port(roles: Roles):
    now = roles.runtime.clock()
    window = timedelta(seconds=roles.runtime.settings.auth_failures_window_s)
    with roles.runtime.database.transaction() as session:
        auth_failures.add(session, ["198.51.100.9"], now - 2 * window, "an-old-attempt")

    def clients() -> list[str]:
        with roles.runtime.database.reading() as session:
            return list(session.scalars(select(AuthFailure.client)))

    eventually(lambda: clients() == [], timeout=30)
    samples = scrape(f"{roles.url('housekeeper')}/metrics")
    ok = value(samples, "payment_housekeeping_jobs_total", job="purge_auth_failures", outcome="ok")
    assert ok >= 1


def group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


def sigterm_stops_each_line_and_leaves_nothing_behind(roles: Roles):
    for process in roles.processes.values():
        os.killpg(process.pid, signal.SIGTERM)
    for name, process in roles.processes.items():
        # The shell that ran the line dies of the signal; the role exits once done.
        assert process.wait(timeout=30) in (0, -signal.SIGTERM)
        eventually(lambda process=process: group_gone(process.pid), timeout=30)
        log = (roles.home / f"{name}.log").read_text()
        assert "Traceback" not in log, log
    assert left_behind(roles.home) == []


def test_each_line_runs_its_role_counts_it_and_stops_cleanly(roles: Roles):
    """Starting the lines is costly: one test runs every check, in order."""
    the_web_line_counts_every_request_of_its_workers(roles)
    the_sender_line_delivers_and_counts_on_its_metrics_port(roles)
    the_housekeeper_line_purges_and_counts_on_its_metrics_port(roles)
    sigterm_stops_each_line_and_leaves_nothing_behind(roles)

"""The production topology of `make cluster` (deploy/cluster.py), started from the installed
wheels on free ports over a PostgreSQL database that `setup-db` creates (and the test drops):
nginx → two `serve --api-only` instances, one sender, one housekeeper, the fakes.

Starting the cluster is costly, so one test runs every check against one cluster, in order:
the SIGKILL of an instance comes late, the SIGTERM of the whole cluster last.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
import requests
from sqlalchemy.engine import make_url

from deploy.cluster import check
from payment_service.client import PaymentClient
from payment_service.crypto import Cipher
from payment_service.settings import PUBLISHED_KEYS
from payment_service.testing import WebhookReceiver
from tests.conftest import POSTGRES_ENV, _postgres_server
from tests.release.conftest import Installed
from tests.roles.support import (
    eventually,
    health_count,
    left_behind,
    private_dirs,
    scrape,
    value,
)
from tests.support.servers import free_port

pytestmark = pytest.mark.realtime  # a whole topology of processes, paused and killed in real time

ROOT = Path(__file__).resolve().parents[2]
KEY, IV = PUBLISHED_KEYS["CONNECTION"]
TOSS_AUTH = ("test_ak_ZORzdMaqN3wQd5k6ygr5AkYXQGwy", "")
FAILURES_MAX = 3


@dataclass
class Running:
    process: subprocess.Popen[bytes]
    state: dict
    log: Path
    home: Path

    @property
    def url(self) -> str:
        return self.state["url"]

    def pid(self, name: str) -> int:
        return self.state["processes"][name]["pid"]

    @property
    def toss(self) -> str:
        return f"http://127.0.0.1:{self.state['ports']['toss']}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def postgres_admin() -> str:
    admin = _postgres_server()
    if admin is None:
        pytest.skip(f"no PostgreSQL server answers (set {POSTGRES_ENV} to require one)")
    return admin


@pytest.fixture
def cluster(installed: Installed, tmp_path: Path) -> Iterator[Running]:
    if shutil.which("nginx", path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin") is None:
        pytest.skip("nginx is not installed (Debian: apt-get install nginx; CI installs it)")
    admin = postgres_admin()
    suffix = uuid.uuid4().hex[:10]
    database, owner = f"payment_cluster_{suffix}", f"payment_cluster_{suffix}"
    owner_url = make_url(admin).set(username=owner, password="pw", database=database)
    env = installed.environment(
        PAYMENT_DATABASE_URL=owner_url.render_as_string(hide_password=False),
        PAYMENT_DATABASE_SCHEMA="payments",
        PAYMENT_WORKERS="2",
        PAYMENT_AUTH_FAILURES_MAX=str(FAILURES_MAX),
    )
    tmp = tmp_path
    log = tmp / "cluster.log"
    # A home and temporary directory of the cluster's own: what it leaves there is checked.
    env.update(private_dirs(tmp / "home"))
    env.pop("XDG_RUNTIME_DIR", None)
    try:
        setup = installed.run("setup-db", env={**env, "PAYMENT_ADMIN_DATABASE_URL": admin})
        assert setup.returncode == 0, setup.stderr
        env.update(
            CLUSTER_NGINX_PORT=str(free_port()),
            CLUSTER_SERVE_PORTS=f"{free_port()},{free_port()}",
            CLUSTER_IAMPORT_PORT=str(free_port()),
            CLUSTER_TOSS_PORT=str(free_port()),
            CLUSTER_PORTONE_PORT=str(free_port()),
            CLUSTER_SENDER_METRICS_PORT=str(free_port()),
            CLUSTER_HOUSEKEEPER_METRICS_PORT=str(free_port()),
            CLUSTER_STATE=str(tmp / "state.json"),
        )
        with log.open("wb") as output:
            process = subprocess.Popen(
                [installed.python, str(ROOT / "deploy" / "cluster.py")],
                env=env,
                cwd=installed.workdir,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            deadline = time.monotonic() + 240
            while not (tmp / "state.json").exists():
                assert process.poll() is None, log.read_text(errors="replace")
                assert time.monotonic() < deadline, log.read_text(errors="replace")
                time.sleep(0.3)
            state = json.loads((tmp / "state.json").read_text())
            yield Running(process, state, log, tmp / "home")
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
    finally:
        url = make_url(admin)
        with psycopg.connect(
            host=url.host, port=url.port, user=url.username, dbname="postgres", autocommit=True
        ) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            connection.execute(f'DROP ROLE IF EXISTS "{owner}"')


def pay_by_toss_card(toss: str, order_id: str, amount: int) -> str:
    popup = requests.post(
        f"{toss}/v1/payments/key-in",
        auth=TOSS_AUTH,
        json={
            "method": "card",
            "cardNumber": "1111222233334444",
            "cardExpirationYear": "28",
            "cardExpirationMonth": "12",
            "amount": amount,
            "orderId": order_id,
            "__approved": False,
        },
        timeout=10,
    )
    assert popup.ok, popup.text
    return popup.json()["paymentKey"]


def webhook_counts(url: str) -> dict:
    response = requests.get(f"{url}/monitors/webhooks", timeout=10)
    assert response.status_code == 200, response.text
    return json.loads(Cipher(KEY, IV).decrypt(response.text))


def new_payment(cluster: Running, client: PaymentClient, webhook_url: str, price: int = 20000):
    order = {"schema": "shop", "table": "orders", "id": str(uuid.uuid4())}
    key = pay_by_toss_card(cluster.toss, order["id"], price)
    vendor = {"code": "toss.payments", "store_id": "cluster", "uid": key}
    created = client.histories.create(
        vendor=vendor, source=order, price=price, password="pw", webhook_url=webhook_url
    )
    return order, created


def a_payment_through_nginx_with_its_webhook_sent_by_the_delivery_process(
    cluster: Running,
):
    deliver = cluster.pid("sender")
    with PaymentClient(cluster.url, KEY, IV) as client, WebhookReceiver(KEY, IV) as receiver:
        order, created = new_payment(cluster, client, receiver.url)
        assert created.price == Decimal(20000)
        assert client.histories.get(source=order, password="pw").id == created.id

        # With the delivery process paused, nobody sends: the instances do not deliver.
        os.kill(deliver, signal.SIGSTOP)
        try:
            cancelled = client.histories.cancel(
                source=order, password="pw", price=5000, reason="one item out of stock"
            )
            assert (cancelled.price, cancelled.refund) == (Decimal(20000), Decimal(5000))
            time.sleep(3)
            assert receiver.received == []
            assert webhook_counts(cluster.url)["pending"] >= 1
        finally:
            os.kill(deliver, signal.SIGCONT)
        webhook = receiver.wait_for(lambda w: w.current.refund == 5000, timeout=60)
        assert webhook.current.id == created.id
        assert webhook.previous.refund is None
        read = client.histories.at(created.id, password="pw")
        assert (read.refund, read.data["status"]) == (Decimal(5000), "PARTIAL_CANCELED")


def every_role_counts_its_work_in_its_metrics(cluster: Running):
    """Requests through nginx add up over both instances' /metrics; the sender and the
    housekeeper count on their own metrics ports (the webhook of the test above, the jobs)."""
    ports = cluster.state["ports"]

    def health_total() -> float:
        return sum(
            health_count(scrape(f"http://127.0.0.1:{port}/metrics")) for port in ports["serve"]
        )

    before = health_total()
    for _ in range(20):
        assert requests.get(f"{cluster.url}/monitors/health", timeout=10).status_code == 200
    assert health_total() - before == 20

    sender = scrape(f"http://127.0.0.1:{ports['sender_metrics']}/metrics")
    assert value(sender, "payment_webhook_deliveries_total", outcome="delivered") >= 1
    assert value(sender, "payment_webhooks_pending") == 0
    housekeeper = eventually(
        lambda: scrape(f"http://127.0.0.1:{ports['housekeeper_metrics']}/metrics")
    )
    ran = value(housekeeper, "payment_housekeeping_jobs_total", job="settle_all", outcome="ok")
    assert ran >= 1


def look_up_from(source_ip: str, port: int, order: dict, password: str) -> int:
    """PATCH /payments/histories/get through nginx from `source_ip` (a loopback address of
    its own, so nginx sees another client); the answer's status."""
    body = Cipher(KEY, IV).encrypt(json.dumps({**order, "password": password}))
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=30, source_address=(source_ip, 0)
    )
    try:
        connection.request("PATCH", "/payments/histories/get", body, {"Content-Type": "text/plain"})
        return connection.getresponse().status
    finally:
        connection.close()


def clients_behind_nginx_are_told_apart_by_the_throttle(cluster: Running):
    """nginx forwards the client's address and the instances trust nginx: one client's wrong
    passwords do not throttle another's."""
    port = cluster.state["ports"]["nginx"]
    with PaymentClient(cluster.url, KEY, IV) as client:
        receiver = f"{cluster.url}/payments/internal/webhook"
        first, _ = new_payment(cluster, client, receiver)
        second, _ = new_payment(cluster, client, receiver)
    guesses = [look_up_from("127.0.0.2", port, first, f"guess-{n}") for n in range(FAILURES_MAX)]
    assert guesses == [403] * FAILURES_MAX
    assert look_up_from("127.0.0.2", port, first, "guess-again") == 429
    # Another client, another budget: refused for its password, not throttled.
    assert look_up_from("127.0.0.3", port, second, "a-typo") == 403
    assert look_up_from("127.0.0.3", port, second, "pw") == 200


class SlowClients:
    """`count` connections to nginx, half trickling request headers, half a request body, one
    byte per interval each, from one thread."""

    def __init__(self, port: int, count: int = 40, interval_s: float = 0.5):
        self.interval_s = interval_s
        self.pending: list[tuple[socket.socket, bytes]] = []
        body = b"x" * 2000
        for index in range(count):
            if index % 2:
                request = b"GET /monitors/health HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"y" * 2000
                first = b""
            else:
                first = (
                    b"POST /payments/histories HTTP/1.1\r\nHost: x\r\n"
                    b"Content-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(body)
                )
                request = body
            connection = socket.create_connection(("127.0.0.1", port), timeout=5)
            if first:
                connection.sendall(first)
            self.pending.append((connection, request))
        self.sent = 0
        self.broken = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._trickle, daemon=True)

    def _trickle(self) -> None:
        position = 0
        while not self._stop.wait(self.interval_s):
            for connection, request in self.pending:
                try:
                    connection.sendall(request[position : position + 1])
                    self.sent += 1
                except OSError:
                    self.broken += 1
            position += 1

    def __enter__(self) -> SlowClients:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        for connection, _ in self.pending:
            connection.close()


def forty_slow_clients_do_not_slow_down_health_through_nginx(cluster: Running):
    port = cluster.state["ports"]["nginx"]
    timings: list[float] = []
    with SlowClients(port, count=40) as slow:
        time.sleep(1.5)  # every connection open and trickling
        for _ in range(10):
            started = time.monotonic()
            response = requests.get(f"{cluster.url}/monitors/health", timeout=10)
            timings.append(time.monotonic() - started)
            assert response.status_code == 200
            time.sleep(0.3)
        # The slow clients were really there all along: each got bytes through, none cut off.
        assert slow.sent >= 40 * 5 and slow.broken == 0
    assert max(timings) < 1.0, timings


def requests_through_nginx_succeed_after_one_instance_is_killed(cluster: Running):
    first, second = cluster.state["ports"]["serve"]
    os.killpg(cluster.pid(f"serve:{first}"), signal.SIGKILL)  # master and workers at once
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", first)) != 0:
                break
        time.sleep(0.1)
    else:
        pytest.fail(f"the instance on {first} still accepts connections")
    with PaymentClient(cluster.url, KEY, IV) as client:
        for _ in range(6):
            assert requests.get(f"{cluster.url}/monitors/health", timeout=10).status_code == 200
            order, created = new_payment(
                cluster, client, f"{cluster.url}/payments/internal/webhook"
            )
            assert client.histories.at(created.id, password="pw").source.id == order["id"]
    assert requests.get(f"http://127.0.0.1:{second}/monitors/health", timeout=10).ok
    assert f"serve:{first} exited with status" in cluster.output()


def sigterm_stops_every_process_of_the_cluster(cluster: Running):
    cluster.process.send_signal(signal.SIGTERM)
    assert cluster.process.wait(timeout=90) == 0, cluster.output()
    assert "payment-cluster: stopped" in cluster.output()
    names = ("nginx", "iamport", "toss", "portone", "sender_metrics", "housekeeper_metrics")
    for port in [cluster.state["ports"][name] for name in names] + list(
        cluster.state["ports"]["serve"]
    ):
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still open"
    for name in cluster.state["processes"]:
        with pytest.raises(ProcessLookupError):
            os.kill(cluster.pid(name), 0)
    # No metrics directory nor nginx runtime left, and no control socket shared by instances;
    # but the metrics directory of the instance killed with SIGKILL above, which could not.
    killed = cluster.pid(f"serve:{cluster.state['ports']['serve'][0]}")
    left = left_behind(cluster.home)
    assert [n for n in left if not n.startswith(f"payment-service-metrics-{killed}-")] == []


def test_the_cluster_runs_every_role_behind_nginx_and_stops_them_all(cluster: Running):
    try:
        a_payment_through_nginx_with_its_webhook_sent_by_the_delivery_process(cluster)
        every_role_counts_its_work_in_its_metrics(cluster)
        clients_behind_nginx_are_told_apart_by_the_throttle(cluster)
        forty_slow_clients_do_not_slow_down_health_through_nginx(cluster)
        requests_through_nginx_succeed_after_one_instance_is_killed(cluster)
        sigterm_stops_every_process_of_the_cluster(cluster)
    except Exception as failure:
        # What the cluster said (a role that exited, nginx gone) is what explains a failure.
        said = cluster.log.read_text(errors="replace")[-8000:]
        raise AssertionError(f"{failure}\n--- the cluster's log ---\n{said}") from failure


def test_the_cluster_refuses_sqlite_and_says_why(installed: Installed, tmp_path: Path):
    env = installed.environment(PAYMENT_DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}")
    result = subprocess.run(
        [installed.python, str(ROOT / "deploy" / "cluster.py")],
        env=env,
        cwd=installed.workdir,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("payment-cluster: the cluster needs PostgreSQL")
    assert "Got sqlite." in result.stderr
    with pytest.raises(Exception, match="the cluster needs PostgreSQL"):
        check({"PATH": os.environ.get("PATH", "")})


def test_a_fake_that_cannot_bind_stops_the_cluster_naming_it(installed: Installed):
    """Fail fast: no "ready" and a non-zero exit naming the role, rather than a cluster
    running without its fakes."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        env = installed.environment(
            # Never reached: the fakes start (and fail) before anything touches the database.
            PAYMENT_DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none",
            CLUSTER_NGINX_PORT=str(free_port()),
            CLUSTER_SERVE_PORTS=f"{free_port()},{free_port()}",
            CLUSTER_IAMPORT_PORT=str(free_port()),
            CLUSTER_TOSS_PORT=str(taken.getsockname()[1]),
            CLUSTER_PORTONE_PORT=str(free_port()),
        )
        result = subprocess.run(
            [installed.python, str(ROOT / "deploy" / "cluster.py")],
            env=env,
            cwd=installed.workdir,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 1, result.stderr
    assert "payment-cluster: fakes exited with status 1 while starting" in result.stderr
    assert "the port is already in use" in result.stderr
    assert "payment-cluster: ready" not in result.stderr
    for name in ("CLUSTER_IAMPORT_PORT", "CLUSTER_PORTONE_PORT"):
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", int(env[name]))) != 0

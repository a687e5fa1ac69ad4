"""deploy/cluster.py without starting anything: ports from the environment, prerequisites, and
an nginx configuration that nginx itself accepts."""

from __future__ import annotations

import http.client
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from deploy.cluster import Cluster, ClusterError, Ports, check
from payment_service.security.clients import client_address
from payment_service.settings.parsers import networks
from payment_service.settings.schema import Context
from tests.support.servers import free_port, wait_until


def test_ports_default_to_the_documented_ones_and_follow_the_environment():
    installed = {"iamport": 10851, "portone": 20851, "toss": 30771}
    assert Ports.from_env({}) == Ports(8080, (37821, 37822), installed, 9101, 9102)
    env = {
        "CLUSTER_NGINX_PORT": "18080",
        "CLUSTER_SERVE_PORTS": "1001,1002,1003",
        "CLUSTER_IAMPORT_PORT": "1004",
        "CLUSTER_TOSS_PORT": "1005",
        "CLUSTER_PORTONE_PORT": "1006",
        "CLUSTER_SENDER_METRICS_PORT": "1007",
        "CLUSTER_HOUSEKEEPER_METRICS_PORT": "1008",
    }
    fakes = {"iamport": 1004, "portone": 1006, "toss": 1005}
    expected = Ports(18080, (1001, 1002, 1003), fakes, 1007, 1008)
    assert Ports.from_env(env) == expected


@pytest.mark.parametrize(
    ("name", "value"),
    [("CLUSTER_NGINX_PORT", "http"), ("CLUSTER_SERVE_PORTS", "1,,2"), ("CLUSTER_TOSS_PORT", "0")],
)
def test_a_bad_port_is_named(name, value):
    with pytest.raises(ClusterError, match=f"{name}: not a port number"):
        Ports.from_env({name: value})


def test_postgresql_is_required():
    for url in ("", "sqlite:///x.sqlite3"):
        with pytest.raises(ClusterError, match="the cluster needs PostgreSQL"):
            check({"PAYMENT_DATABASE_URL": url})


def test_nginx_accepts_the_rendered_configuration(tmp_path: Path):
    nginx = shutil.which("nginx", path="/usr/sbin:/usr/bin:/sbin")
    if nginx is None:
        pytest.skip("nginx is not installed (Debian: apt-get install nginx; CI installs it)")
    cluster = Cluster(
        tmp_path,
        Ports(18080, (1001, 1002), {"iamport": 1004, "toss": 1005}),
        {},
        nginx_binary=nginx,
    )
    config = cluster._nginx_config(tmp_path)
    site = (tmp_path / "payment-service.conf").read_text()
    assert "listen 127.0.0.1:18080;" in site
    assert "server 127.0.0.1:1001 max_fails=1 fail_timeout=10s;" in site
    assert "server 127.0.0.1:1002 max_fails=1 fail_timeout=10s;" in site
    assert "{{" not in site
    result = subprocess.run(
        [nginx, "-t", "-p", f"{tmp_path}/", "-c", str(config), "-e", "stderr"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr


class Echo(BaseHTTPRequestHandler):
    """An upstream that answers each request with the X-Forwarded-For it received."""

    def do_GET(self) -> None:
        body = (self.headers.get("X-Forwarded-For") or "").encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def get_from(source_ip: str, port: int, path: str, headers: dict[str, str]) -> tuple[int, str]:
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=10, source_address=(source_ip, 0)
    )
    try:
        connection.request("GET", path, headers=headers)
        answer = connection.getresponse()
        return answer.status, answer.read().decode()
    finally:
        connection.close()


@pytest.fixture
def nginx_in_front_of_echo(tmp_path: Path) -> Iterator[int]:
    nginx = shutil.which("nginx", path="/usr/sbin:/usr/bin:/sbin")
    if nginx is None:
        pytest.skip("nginx is not installed (Debian: apt-get install nginx; CI installs it)")
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    port = free_port()
    tmp_path.chmod(0o755)  # nginx's worker may run as nobody
    cluster = Cluster(tmp_path, Ports(port, (upstream.server_port,), {}), {}, nginx_binary=nginx)
    config = cluster._nginx_config(tmp_path)
    process = subprocess.Popen(
        [nginx, "-p", f"{tmp_path}/", "-c", str(config), "-e", "stderr"],
        stderr=subprocess.PIPE,
    )
    try:
        wait_until(lambda: _accepts(port), timeout=30)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)
        upstream.shutdown()
        upstream.server_close()


def _accepts(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_nginx_serves_metrics_to_this_machine_only(nginx_in_front_of_echo: int):
    port = nginx_in_front_of_echo
    assert get_from("127.0.0.1", port, "/metrics", {})[0] == 200
    # Another client (any address but 127.0.0.1 or ::1) is refused before any instance.
    assert get_from("127.0.0.2", port, "/metrics", {})[0] == 403
    assert get_from("127.0.0.2", port, "/monitors/health", {})[0] == 200


def test_nginx_tells_the_instances_the_client_it_saw_not_the_one_claimed(
    nginx_in_front_of_echo: int,
):
    port = nginx_in_front_of_echo
    claimed = {"X-Forwarded-For": "203.0.113.9"}
    assert get_from("127.0.0.2", port, "/payments/histories", claimed) == (200, "127.0.0.2")
    assert get_from("127.0.0.3", port, "/payments/histories", {}) == (200, "127.0.0.3")


def test_the_instances_trust_nginx_so_clients_are_told_apart(tmp_path: Path):
    """Issue 24 item 4: behind the shipped nginx, the throttle counts the client nginx saw,
    not nginx itself (which would put every client in one budget)."""
    cluster = Cluster(tmp_path, Ports.from_env({}), {})
    trusted = networks(cluster.roles_env("{}")["PAYMENT_TRUSTED_PROXIES"], Context("dev"))
    assert client_address("127.0.0.1", "203.0.113.9", trusted) == "203.0.113.9"
    assert client_address("127.0.0.1", "198.51.100.7", trusted) == "198.51.100.7"
    # An operator's own setting wins (nginx on another machine).
    other = Cluster(tmp_path, Ports.from_env({}), {"PAYMENT_TRUSTED_PROXIES": "10.0.0.5/32"})
    assert other.roles_env("{}")["PAYMENT_TRUSTED_PROXIES"] == "10.0.0.5/32"
    shipped = (Path(__file__).parents[2] / "deploy/nginx/payment-service.conf").read_text()
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in shipped

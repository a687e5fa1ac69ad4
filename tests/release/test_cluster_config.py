"""deploy/cluster.py without starting anything: ports from the environment, prerequisites, and
an nginx configuration that nginx itself accepts."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from deploy.cluster import Cluster, ClusterError, Ports, check


def test_ports_default_to_the_documented_ones_and_follow_the_environment():
    installed = {"iamport": 10851, "portone": 20851, "toss": 30771}
    assert Ports.from_env({}) == Ports(8080, (37821, 37822), installed)
    env = {
        "CLUSTER_NGINX_PORT": "18080",
        "CLUSTER_SERVE_PORTS": "1001,1002,1003",
        "CLUSTER_IAMPORT_PORT": "1004",
        "CLUSTER_TOSS_PORT": "1005",
        "CLUSTER_PORTONE_PORT": "1006",
    }
    expected = Ports(18080, (1001, 1002, 1003), {"iamport": 1004, "portone": 1006, "toss": 1005})
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

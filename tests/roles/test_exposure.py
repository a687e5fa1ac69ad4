"""Local mode (published keys, webhooks anywhere, any origin) listens on loopback only, unless
the operator names the danger: `serve --unsafe-expose-local-mode`, or
`PAYMENT_UNSAFE_EXPOSE_LOCAL_MODE=true` where gunicorn is run directly."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from payment_service.roles.exposure import bound_host, exposure_problem, is_loopback
from tests.conftest import make_settings
from tests.support.servers import free_port, wait_for_health

from .support import start, user_environment, wait_exit

SERVE = [sys.executable, "-m", "payment_service.cli", "serve"]
GUNICORN = [
    sys.executable,
    "-m",
    "gunicorn",
    "--config",
    "python:payment_service.roles.gunicorn_config",
    "payment_service.wsgi:app",
]
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("address", "host", "loopback"),
    [
        ("127.0.0.1:8000", "127.0.0.1", True),
        ("127.0.0.2:8000", "127.0.0.2", True),
        ("[::1]:8000", "::1", True),
        ("localhost:8000", "localhost", True),
        ("0.0.0.0:8000", "0.0.0.0", False),
        ("[::]:8000", "::", False),
        (":8000", "", False),
        ("192.0.2.10", "192.0.2.10", False),
        ("no-such-host.invalid:80", "no-such-host.invalid", False),
    ],
)
def test_which_addresses_are_loopback(address: str, host: str, loopback: bool):
    assert bound_host(address) == host
    assert is_loopback(host) is loopback


def test_local_mode_is_refused_beyond_loopback_and_other_modes_or_the_flag_allow_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    local = make_settings(url)
    problem = exposure_problem(local, ["127.0.0.1:1", "0.0.0.0:2"])
    assert problem is not None
    assert problem.startswith("refusing to listen on 0.0.0.0 in local mode")
    assert "--unsafe-expose-local-mode" in problem
    assert exposure_problem(local, ["127.0.0.1:1", "[::1]:2", "unix:/run/x.sock"]) is None
    forced = make_settings(url, unsafe_expose_local_mode=True)
    assert exposure_problem(forced, ["0.0.0.0:2"]) is None
    dev = make_settings(url, mode="dev")
    assert exposure_problem(dev, ["0.0.0.0:2"]) is None


def test_serve_refuses_local_mode_on_every_interface(tmp_path):
    env = user_environment(tmp_path, PAYMENT_DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    result = subprocess.run(
        [*SERVE, "--host", "0.0.0.0", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(
        "payment-service: refusing to listen on 0.0.0.0 in local mode: PAYMENT_MODE=local uses "
        "the published connection keys"
    )
    assert not (tmp_path / "db.sqlite3").exists()  # refused before anything was touched


def test_gunicorn_run_directly_refuses_it_too(tmp_path):
    env = user_environment(tmp_path, PAYMENT_DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    port = free_port()
    result = subprocess.run(
        [*GUNICORN, "--bind", f"0.0.0.0:{port}"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "payment-service: refusing to listen on 0.0.0.0 in local mode" in result.stderr


def test_the_flag_that_names_the_danger_forces_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    env = user_environment(tmp_path, PAYMENT_DATABASE_URL=url)
    port = free_port()
    command = [*SERVE, "--api-only", "--host", "0.0.0.0", "--port", str(port)]
    process = start([*command, "--unsafe-expose-local-mode"], env, tmp_path / "serve.log")
    try:
        wait_for_health(f"http://127.0.0.1:{port}", process, timeout=90)
        assert requests.get(f"http://127.0.0.1:{port}/monitors/health", timeout=10).ok
    finally:
        process.send_signal(signal.SIGTERM)
        assert wait_exit(process) == 0, (tmp_path / "serve.log").read_text()

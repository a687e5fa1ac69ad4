"""`python -m fake_servers.toss` as a separate process."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from fake_servers.toss.__main__ import parse_args

from .support import TossClient, basic

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def process(request: pytest.FixtureRequest) -> Iterator[subprocess.Popen[str]]:
    args = getattr(request, "param", [])
    child = subprocess.Popen(
        [sys.executable, "-m", "fake_servers.toss", "--port", "0", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield child
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(5)
        assert child.stdout is not None and child.stderr is not None
        child.stdout.close()
        child.stderr.close()


def listening_url(child: subprocess.Popen[str]) -> tuple[str, str]:
    assert child.stdout is not None
    line = child.stdout.readline()
    found = re.match(r"Fake Toss Payments listening on (\S+) \(webhooks: (\S+)\)", line)
    assert found, line
    return found.group(1), found.group(2)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_runs_answers_and_stops_cleanly(process: subprocess.Popen[str], stop: int) -> None:
    url, webhook_url = listening_url(process)
    assert webhook_url == f"{url}/internal/webhook"
    client = TossClient(url)
    payment = client.virtual_account(1000)
    assert client.deposit(payment["paymentKey"])["status"] == "DONE"

    process.send_signal(stop)

    assert process.wait(10) == 0


@pytest.mark.parametrize(
    "process",
    [["--webhook-url", "http://127.0.0.1:9/hook", "--secret-key", "sk_cli", "--capacity", "1"]],
    indirect=True,
)
def test_options(process: subprocess.Popen[str]) -> None:
    url, webhook_url = listening_url(process)
    assert webhook_url == "http://127.0.0.1:9/hook"
    assert TossClient(url).get("/v1/payments/x").status_code == 403
    client = TossClient(url, basic("sk_cli"))
    first, second = client.key_in(1000), client.key_in(1000)
    assert client.get(f"/v1/payments/{first['paymentKey']}").status_code == 404
    assert client.payment(second["paymentKey"])["paymentKey"] == second["paymentKey"]
    process.terminate()
    assert process.wait(10) == 0


def test_busy_port_fails_with_a_message() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "fake_servers.toss", "--port", str(port)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=20,
        )
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr


def test_defaults() -> None:
    args = parse_args([])
    assert (args.host, args.port, args.webhook_url, args.secret_keys) == (
        "127.0.0.1",
        30771,
        None,
        None,
    )
    assert (args.expiration, args.capacity) == (180.0, 1000)

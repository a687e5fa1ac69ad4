"""`python -m fake_servers.iamport` as a separate process."""

from __future__ import annotations

import select
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest
import requests

from tests.support.servers import free_port

from .helpers import CREDENTIALS


@pytest.fixture
def process() -> Iterator[tuple[subprocess.Popen[str], int]]:
    port = free_port()
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fake_servers.iamport",
            "--port",
            str(port),
            "--webhook-url",
            "http://127.0.0.1:9/payments/webhooks/iamport",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        yield child, port
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(5)
        if child.stdout is not None:
            child.stdout.close()


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_module_serves_until_signalled(
    process: tuple[subprocess.Popen[str], int], stop: signal.Signals
) -> None:
    child, port = process
    assert child.stdout is not None
    ready, _, _ = select.select([child.stdout], [], [], 10)
    assert ready, "the fake did not announce itself"
    banner = child.stdout.readline()
    assert banner.strip() == (
        f"fake iamport listening on http://127.0.0.1:{port} "
        "(webhooks: http://127.0.0.1:9/payments/webhooks/iamport)"
    )

    reply = requests.post(f"http://127.0.0.1:{port}/users/getToken", json=CREDENTIALS, timeout=5)
    assert reply.status_code == 201
    token = reply.json()["response"]["access_token"]
    missing = requests.get(
        f"http://127.0.0.1:{port}/payments/x", headers={"Authorization": token}, timeout=5
    )
    assert missing.status_code == 404

    child.send_signal(stop)
    assert child.wait(5) == 0


def test_defaults_are_the_original_port_on_the_loopback_address() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "fake_servers.iamport", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0
    assert "address to bind (127.0.0.1)" in done.stdout
    assert "port (10851), 0 for any free one" in done.stdout

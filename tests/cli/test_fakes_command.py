"""`payment-service fakes`: the three fake gateways on the given ports, until SIGTERM."""

from __future__ import annotations

import signal
import subprocess

from fake_servers.portone import DEFAULT_API_SECRET
from tests.support.servers import free_port, wait_answering

from .test_cli import COMMAND, environment


def test_fakes_serve_every_gateway_on_its_port(tmp_path):
    iamport, toss, portone = free_port(), free_port(), free_port()
    process = subprocess.Popen(
        [
            *COMMAND,
            "fakes",
            "--iamport-port",
            str(iamport),
            "--toss-port",
            str(toss),
            "--portone-port",
            str(portone),
            "--webhook-base",
            "http://127.0.0.1:9",
        ],
        env=environment(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = [process.stdout.readline() for _ in range(4)]
        assert lines[2].strip() == f"fake PortOne V2 listening on http://127.0.0.1:{portone}"
        assert lines[3].strip() == "webhooks go to http://127.0.0.1:9"
        answer = wait_answering(
            f"http://127.0.0.1:{portone}/payments/none",
            headers={"Authorization": f"PortOne {DEFAULT_API_SECRET}"},
        )
        assert (answer.status_code, answer.json()["type"]) == (404, "PAYMENT_NOT_FOUND")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        process.kill()

"""`payment-service fakes`: the fakes the installed plugins contribute, each on its port
(`--<name>-port`), until SIGTERM."""

from __future__ import annotations

import base64
import signal
import subprocess
import sys

from fake_servers.portone import DEFAULT_API_SECRET
from fake_servers.toss import DEFAULT_SECRET_KEY
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
        lines = [process.stdout.readline().strip() for _ in range(4)]
        assert sorted(lines[:3]) == [
            f"fake PortOne V2 listening on http://127.0.0.1:{portone}",
            f"fake Toss Payments listening on http://127.0.0.1:{toss}",
            f"fake iamport listening on http://127.0.0.1:{iamport}",
        ]
        assert lines[3] == "webhooks go to http://127.0.0.1:9"
        portone_answer = wait_answering(
            f"http://127.0.0.1:{portone}/payments/none",
            headers={"Authorization": f"PortOne {DEFAULT_API_SECRET}"},
        )
        assert (portone_answer.status_code, portone_answer.json()["type"]) == (
            404,
            "PAYMENT_NOT_FOUND",
        )
        toss_answer = wait_answering(
            f"http://127.0.0.1:{toss}/v1/payments/none", headers=basic_auth(DEFAULT_SECRET_KEY)
        )
        assert (toss_answer.status_code, toss_answer.json()["error"]) == (404, "Not Found")
        iamport_answer = wait_answering(f"http://127.0.0.1:{iamport}/payments/none")
        assert iamport_answer.status_code == 403  # no token
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        process.kill()


def basic_auth(secret_key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{secret_key}:".encode()).decode()}


def test_serve_without_fakes_imports_no_fake(tmp_path):
    """The port options of the fakes come from entry-point names: a production `serve` never
    imports a fake (nor a broken third-party one)."""
    code = (
        "import sys\n"
        "import payment_service.roles.commands as commands\n"
        "commands.supervise = lambda *args, **kwargs: 0\n"
        "from payment_service.cli import main\n"
        "try:\n"
        f"    main(['serve', '--port', '{free_port()}', '--toss-port', '1'])\n"
        "except SystemExit as stop:\n"
        "    assert not stop.code, stop.code\n"
        "print(sorted(m for m in sys.modules if m.startswith('fake_servers')"
        " or (m.startswith('payment_vendor_') and m.endswith('.fake'))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=environment(tmp_path), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"

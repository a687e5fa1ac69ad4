"""Every command of the installed `payment-service`, from the venv that holds only the wheels."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
from pathlib import Path

import requests

from payment_service.db.migrate import head_revision
from tests.release.conftest import Installed
from tests.support.servers import free_port, wait_for_health, wait_until

SMOKE = Path(__file__).with_name("smoke_payment.py")


def sqlite_env(installed: Installed, tmp_path: Path) -> dict[str, str]:
    return installed.environment(PAYMENT_DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")


def wait_listening(port: int, process: subprocess.Popen[str], timeout: float = 30) -> None:
    def listening() -> bool:
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", port)) == 0

    try:
        wait_until(listening, timeout, interval=0.1)
    except TimeoutError:
        raise AssertionError(f"nothing listens on port {port}") from None


def stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    try:
        output, _ = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0, output
    return output


def test_schema_migrates_an_empty_database_to_head_from_the_installed_migrations(
    installed: Installed, tmp_path: Path
):
    env = sqlite_env(installed, tmp_path)
    for _ in range(2):
        result = installed.run("schema", env=env)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == f"schema is at revision {head_revision()}"


def test_serve_with_fakes_creates_reads_and_cancels_a_payment_and_webhooks_work(
    installed: Installed, tmp_path: Path
):
    env = sqlite_env(installed, tmp_path)
    port, iamport_port, toss_port = free_port(), free_port(), free_port()
    command = installed.command("serve", "--with-fakes", "--port", str(port), "--workers", "2")
    command += ["--iamport-port", str(iamport_port), "--toss-port", str(toss_port)]
    command += ["--portone-port", str(free_port())]
    server = subprocess.Popen(
        command,
        env=env,
        cwd=installed.workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        api = f"http://127.0.0.1:{port}"
        wait_for_health(api, server, timeout=60)
        smoke = subprocess.run(
            [installed.python, str(SMOKE), api, f"http://127.0.0.1:{toss_port}"],
            env=env,
            cwd=installed.workdir,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert smoke.returncode == 0, smoke.stderr
        report = json.loads(smoke.stdout)
        # The code that ran is the installed one, at the wheel's version.
        assert "/site-packages/payment_service/" in report["module"]
        assert report["version"] == "0.2.0"
        assert report["created"]["price"] == "20000"
        assert report["read"] == {"id": report["created"]["id"], "toss_status": "DONE"}
        assert report["cancelled"] == {"price": "20000", "refund": "5000"}
        assert report["webhook"]["refund"] == "5000"

        # `webhooks …` on the same database, beside the running server.
        listed = installed.run("webhooks", "list", "--status", "delivered", env=env)
        assert listed.returncode == 0, listed.stderr
        assert report["webhook"]["id"] in listed.stdout
        delivered = installed.run("webhooks", "deliver", "--until-idle", env=env, timeout=60)
        assert delivered.returncode == 0, delivered.stderr
        assert delivered.stdout.strip() == "attempted 0 webhook delivery(ies)"
        retried = installed.run("webhooks", "retry", report["webhook"]["id"], env=env)
        assert (retried.returncode, retried.stdout.strip()) == (0, "requeued 1 webhook(s)")
        pending = installed.run("webhooks", "list", "--status", "pending", env=env)
        assert report["webhook"]["id"] in pending.stdout

        # The wheels carry the demo shop's page and the fakes' browser SDK stand-ins.
        assert 'data-testid="demo-pay-toss"' in requests.get(f"{api}/demo", timeout=30).text
        script = requests.get(f"http://127.0.0.1:{toss_port}/v1/payment", timeout=30).text
        assert "window.TossPayments = TossPayments;" in script
    finally:
        output = stop(server)
    assert "Traceback" not in output


def test_fakes_answer_on_the_ports_given_and_stop_on_sigterm(installed: Installed, tmp_path):
    iamport_port, toss_port = free_port(), free_port()
    ports = ["--iamport-port", str(iamport_port), "--toss-port", str(toss_port)]
    ports += ["--portone-port", str(free_port())]
    process = subprocess.Popen(
        installed.command("fakes", *ports),
        env=installed.environment(),
        cwd=installed.workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_listening(iamport_port, process)
        wait_listening(toss_port, process)
        token = requests.post(
            f"http://127.0.0.1:{iamport_port}/users/getToken",
            json={"imp_key": "test_imp_key", "imp_secret": "test_imp_secret"},
            timeout=10,
        )
        assert token.ok, token.text
        assert token.json()["response"]["access_token"]
        toss = requests.get(
            f"http://127.0.0.1:{toss_port}/v1/payments/no-such-key",
            auth=("test_ak_ZORzdMaqN3wQd5k6ygr5AkYXQGwy", ""),
            timeout=5,
        )
        assert toss.status_code == 404
    finally:
        output = stop(process)
    assert f"fake iamport listening on http://127.0.0.1:{iamport_port}" in output


def test_openapi_documents_the_routes_of_the_installed_plugins(installed: Installed):
    result = installed.run("openapi", env=installed.environment())
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["info"]["version"] == "0.2.0"
    assert {"/payments/histories", "/payments/webhooks/iamport", "/payments/webhooks/toss"} <= set(
        document["paths"]
    )

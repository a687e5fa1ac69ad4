"""The `payment-service` command, run as a real subprocess."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.db.test_migrations import HEAD
from tests.support.servers import free_port, wait_for_health

COMMAND = [sys.executable, "-m", "payment_service.cli"]


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYMENT_")}
    env["PAYMENT_DATABASE_URL"] = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    env.update(extra)
    return env


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_serve_answers_health_and_stops_cleanly(tmp_path, stop):
    port = free_port()
    process = subprocess.Popen(
        [*COMMAND, "serve", "--port", str(port), "--workers", "1"],
        env=environment(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for_health(f"http://127.0.0.1:{port}", process)
        process.send_signal(stop)
        output, _ = process.communicate(timeout=20)
    finally:
        process.kill()
    assert process.returncode == 0, output
    assert "Traceback" not in output


def test_serve_reports_a_taken_port_without_a_traceback(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [*COMMAND, "serve", "--port", str(port)],
            env=environment(tmp_path),
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"payment-service: cannot listen on 127.0.0.1:{port}: the port is already in use"
    )


def test_serve_reports_an_unreachable_database_without_a_traceback(tmp_path):
    env = environment(tmp_path, PAYMENT_DATABASE_URL="postgresql+psycopg://x@127.0.0.1:1/none")
    result = subprocess.run(
        [*COMMAND, "serve", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert result.stderr.startswith(
        "payment-service: cannot connect to the database postgresql+psycopg://x@127.0.0.1:1/none"
    )
    assert "Traceback" not in result.stderr


def test_invalid_settings_are_listed_and_exit_2(tmp_path):
    env = environment(tmp_path, PAYMENT_MODE="real")
    result = subprocess.run(
        [*COMMAND, "schema"], env=env, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert "PAYMENT_CONNECTION_ENCRYPTION_KEY: required in real mode" in result.stderr
    assert "Traceback" not in result.stderr


def test_schema_creates_and_then_keeps_the_database(tmp_path):
    env = environment(tmp_path)
    for _ in range(2):
        result = subprocess.run(
            [*COMMAND, "schema"], env=env, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == f"schema is at revision {HEAD}"
    assert (tmp_path / "cli.sqlite3").exists()


def test_schema_fails_clearly_on_a_database_migrated_by_a_newer_version(tmp_path):
    import sqlite3

    from payment_service.db.migrate import head_revision

    env = environment(tmp_path)
    assert subprocess.run([*COMMAND, "schema"], env=env, timeout=60).returncode == 0
    with sqlite3.connect(tmp_path / "cli.sqlite3") as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    result = subprocess.run(
        [*COMMAND, "schema"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert result.stderr.startswith(
        f"payment-service: cannot upgrade the database (at revision 9999) to {head_revision()}: "
    )
    assert "newer payment-service" in result.stderr
    assert "Traceback" not in result.stderr

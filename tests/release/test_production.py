"""docs/operating.md's production instructions, run as written by a user's bash with a bare
`python3`: the five wheels built (`built_once` runs the first line), installed into a fresh
venv, fresh keys from `keys generate`, `real` mode, `setup-db` over PostgreSQL, `serve`."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import uuid
from pathlib import Path

import psycopg
import pytest
import requests
from dotenv import dotenv_values
from sqlalchemy.engine import make_url

from payment_service.crypto import Cipher
from payment_service.settings import Settings
from tests.release.conftest import bare_python, built_once, production_commands
from tests.release.test_cluster import postgres_admin
from tests.support.servers import free_port, wait_until

DOCUMENTED_PORT = "--port 37821"


def drop(admin: str, database: str, role: str) -> None:
    url = make_url(admin)
    with psycopg.connect(
        host=url.host, port=url.port, user=url.username, dbname="postgres", autocommit=True
    ) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        connection.execute(f'DROP ROLE IF EXISTS "{role}"')


def wait_for(url: str, process: subprocess.Popen[str], log: Path, timeout: float) -> None:
    def answers() -> bool:
        assert process.poll() is None, log.read_text(errors="replace")
        try:
            return requests.get(url, timeout=2).status_code == 200
        except requests.RequestException:
            return False

    try:
        wait_until(answers, timeout, interval=0.5)
    except TimeoutError:
        raise AssertionError(f"{url} never answered:\n{log.read_text(errors='replace')}") from None


def test_the_production_instructions_run_as_written(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
):
    admin = postgres_admin()
    dist = built_once(tmp_path_factory)  # the instructions' first line, run as written
    commands = production_commands()
    serve = commands[-1]
    assert DOCUMENTED_PORT in serve and serve.endswith(" serve --host 127.0.0.1 --port 37821")
    port = free_port()
    script = "\n".join([*commands[1:-1], serve.replace(DOCUMENTED_PORT, f"--port {port}")])

    suffix = uuid.uuid4().hex[:10]
    database = role = f"payment_production_{suffix}"
    owner_url = make_url(admin).set(username=role, password=f"pw-{suffix}", database=database)
    prefix, config = tmp_path / "opt", tmp_path / "etc"
    # The user's values (the block before the instructions), and nothing of ours.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAYMENT_", "VIRTUAL_ENV"))}
    env.update(
        PATH=f"{bare_python(tmp_path / 'python')}{os.pathsep}{env['PATH']}",
        PREFIX=str(prefix),
        CONFIG=str(config),
        PAYMENT_DATABASE_URL=owner_url.render_as_string(hide_password=False),
        ADMIN_URL=admin,
    )
    log = tmp_path / "instructions.log"
    try:
        with log.open("w") as output:
            process = subprocess.Popen(
                ["bash", "-euo", "pipefail", "-c", script],
                cwd=dist.parent,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=True,
            )
        try:
            api = f"http://127.0.0.1:{port}"
            # pip installs the wheels' dependencies first: allow for a slow index.
            wait_for(f"{api}/monitors/health", process, log, timeout=600)

            keys_file = config / "keys.env"
            assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600
            keys = {k: v for k, v in dotenv_values(keys_file).items() if v is not None}
            # The server runs in real mode on the generated keys: it answers in them…
            cipher = Cipher(
                keys["PAYMENT_CONNECTION_ENCRYPTION_KEY"], keys["PAYMENT_CONNECTION_ENCRYPTION_IV"]
            )
            system = requests.get(f"{api}/monitors/system", timeout=10)
            assert system.status_code == 200
            arguments = json.loads(cipher.decrypt(system.text))["arguments"]
            # The API is `serve`'s gunicorn child (`python -m gunicorn`), run from the installed
            # prefix, not from the checkout.
            assert arguments[0].startswith(f"{prefix}{os.sep}"), arguments
            # …and has no test receiver (real mode).
            internal = requests.post(f"{api}/payments/internal/webhook", data="x", timeout=10)
            assert internal.status_code == 404
            # The file is all real mode needs besides the database.
            Settings.load(
                environ={
                    "PAYMENT_MODE": "real",
                    "PAYMENT_DATABASE_URL": env["PAYMENT_DATABASE_URL"],
                },
                env_file=keys_file,
            )
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
        output = log.read_text(errors="replace")
        assert "Traceback" not in output, output
        # setup-db created the database as the instructions' owner, in real mode.
        with psycopg.connect(
            owner_url.set(drivername="postgresql").render_as_string(hide_password=False)
        ) as connection:
            tables = connection.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
            ).fetchone()
        assert tables is not None and tables[0] > 5
    finally:
        drop(admin, database, role)

"""`payment-service openapi`, run as a real subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from payment_service.app import create_app
from payment_service.settings import Settings


def command() -> list[str]:
    """The installed console script next to this interpreter, else the module."""
    script = shutil.which("payment-service", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "payment_service.cli"]


def test_openapi_prints_the_served_document(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYMENT_")}
    # A database that cannot be reached: the command must not need one.
    env["PAYMENT_DATABASE_URL"] = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    result = subprocess.run(
        [*command(), "openapi"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)

    # The same settings in-process (installed plugins loaded through their entry points).
    settings = Settings.load(environ={}, env_file=None, database_url="sqlite://")
    app = create_app(settings)
    try:
        served = app.test_client().get("/openapi.json").get_json()
    finally:
        app.extensions["payment_service"].close()
    assert printed == served
    assert "/payments/histories" in printed["paths"]
    assert list(tmp_path.iterdir()) == []  # no SQLite file left in the working directory


def test_openapi_stops_with_a_message_on_invalid_settings(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYMENT_")}
    env["PAYMENT_MODE"] = "real"  # without any of the keys real mode requires
    result = subprocess.run(
        [*command(), "openapi"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert "PAYMENT_CONNECTION_ENCRYPTION_KEY" in result.stderr

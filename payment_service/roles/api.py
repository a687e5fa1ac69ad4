"""The API role: gunicorn's workers answering HTTP, and nothing else (no background thread).

It always runs as a fresh gunicorn process (`python -m gunicorn` with `roles.gunicorn_config`),
never inside the process of the `payment-service` command: the command has imported half the
service by then, prometheus_client included, and workers forked from it would count their
metrics in memory instead of in the shared files.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path

CONFIG = "python:payment_service.roles.gunicorn_config"
APPLICATION = "payment_service.wsgi:app"
DEMO_APPLICATION = "payment_service.roles.demo:app"
"""The API with the demo shop at /demo (`serve --with-fakes` in local mode)."""
DEMO_ENVIRONMENT = "PAYMENT_DEMO_SHOP"
"""Where the demo shop's workers find it (internal: set by `serve` for its API child)."""


def demo_environment(api_url: str, fakes: Mapping[str, str], directory: Path) -> str:
    return json.dumps({"api_url": api_url, "fakes": dict(fakes), "directory": str(directory)})


def gunicorn_command(
    host: str, port: int, workers: int, application: str = APPLICATION
) -> list[str]:
    """The command that runs the API (`application`) on host:port with `workers` workers."""
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        CONFIG,
        "--bind",
        bind,
        "--workers",
        str(workers),
        application,
    ]


def exec_api(host: str, port: int, workers: int) -> None:
    """Become the API's gunicorn master (same process id, so signals and supervisors reach it)."""
    sys.stdout.flush()
    sys.stderr.flush()
    command = gunicorn_command(host, port, workers)
    os.execv(command[0], command)

"""Running the API under gunicorn, and the fake gateways beside it."""

from __future__ import annotations

import dataclasses
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import Any

import click
from gunicorn.app.base import BaseApplication

from .settings import Settings

FAKES_START_TIMEOUT_S = 20.0


class GunicornServer(BaseApplication):
    """gunicorn configured from code; each worker builds its own app (and delivery pool)."""

    def __init__(self, settings: Settings, options: dict[str, Any]):
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from .app import create_app

        return create_app(self.settings)


@dataclasses.dataclass(frozen=True)
class FakePorts:
    """Where `serve --with-fakes` starts the fake gateways (the original's ports by default)."""

    iamport: int = 10851
    toss: int = 30771


def serve(
    settings: Settings, *, host: str, port: int, workers: int, fakes: FakePorts | None
) -> None:
    from .cli import fail, prepare_database

    prepare_database(settings)
    fakes_process: subprocess.Popen[bytes] | None = None
    if fakes is not None:
        from .testing.fakes import vendor_options

        local = "127.0.0.1" if host in ("0.0.0.0", "") else host
        fakes_process = start_fakes_process(local, f"http://{local}:{port}", fakes)
        if fakes_process is None:
            fail(
                f"cannot start the fake gateways on ports {fakes.iamport} and {fakes.toss} "
                "(is another `payment-service fakes` running?)"
            )
        iamport_url, toss_url = f"http://{local}:{fakes.iamport}", f"http://{local}:{fakes.toss}"
        options = vendor_options(iamport_url, toss_url)
        settings = dataclasses.replace(settings, vendors={**settings.vendors, **options})
        click.echo(
            f"fake iamport on {iamport_url}, fake Toss Payments on {toss_url}; "
            "their webhooks go to this server"
        )
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        # Threads let a worker answer a gateway's callback while another request waits on it.
        "threads": 8,
        "timeout": 60,
        "graceful_timeout": 10,
        "accesslog": "-",
        "errorlog": "-",
        "loglevel": "info",
    }
    try:
        GunicornServer(settings, options).run()
    finally:
        if fakes_process is not None:
            fakes_process.terminate()
            try:
                fakes_process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                fakes_process.kill()


def start_fakes_process(
    host: str, webhook_base: str, ports: FakePorts
) -> subprocess.Popen[bytes] | None:
    """Start `payment-service fakes` as a child process (never threads beside gunicorn's
    forking master) and wait until both ports answer; None if it could not start."""
    command = [sys.executable, "-m", "payment_service.cli", "fakes", "--host", host]
    command += ["--iamport-port", str(ports.iamport), "--toss-port", str(ports.toss)]
    process = subprocess.Popen([*command, "--webhook-base", webhook_base])
    deadline = time.monotonic() + FAKES_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return None
        if all(_listening(host, port) for port in (ports.iamport, ports.toss)):
            return process
        time.sleep(0.1)
    process.kill()
    return None


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def run_fakes(host: str, iamport_port: int, toss_port: int, webhook_base: str | None) -> None:
    from .testing.fakes import GatewayFakes

    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    with GatewayFakes(host, iamport_port, toss_port, api_url=webhook_base) as fakes:
        click.echo(f"fake iamport listening on {fakes.iamport.url}")
        click.echo(f"fake Toss Payments listening on {fakes.toss.url}")
        target = webhook_base or "their own /internal/webhook receivers"
        click.echo(f"webhooks go to {target}")
        stopped.wait()


def run_dispatcher(settings: Settings, *, until_idle: bool) -> None:
    """Deliver outgoing webhooks until SIGINT/SIGTERM (or, with `until_idle`, until none is
    pending)."""
    from .app import create_runtime
    from .delivery.dispatcher import Dispatcher
    from .delivery.operations import has_pending

    runtime = create_runtime(settings)
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    dispatcher = Dispatcher(runtime).start()
    try:
        while not stopped.wait(settings.webhooks.poll_s):
            if until_idle and not has_pending(runtime.database):
                break
    finally:
        dispatcher.stop()
        runtime.close()
    click.echo(f"attempted {dispatcher.attempted} webhook delivery(ies)")

"""Running the API under gunicorn, and the fake gateways beside it."""

from __future__ import annotations

import dataclasses
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import click
from gunicorn.app.base import BaseApplication

from .settings import Settings

FAKES_START_TIMEOUT_S = 20.0
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


class GunicornServer(BaseApplication):
    """gunicorn configured from code; each worker builds its own app (and delivery pool), and
    `extend` adds to it (the demo shop)."""

    def __init__(
        self,
        settings: Settings,
        options: dict[str, Any],
        extend: Callable[[Any], Any] | None = None,
    ):
        self.settings = settings
        self.options = options
        self.extend = extend
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from .app import create_app

        app = create_app(self.settings)
        if self.extend is not None:
            self.extend(app)
        return app


FakePorts = Mapping[str, int]
"""Where `serve --with-fakes` starts the fake gateways: a port by fake name (each plugin's
fake has its fixed default, the original's ports for the shipped ones)."""


def serve(
    settings: Settings, *, host: str, port: int, workers: int, fakes: FakePorts | None
) -> None:
    from .cli import fail, prepare_database

    prepare_database(settings)
    fakes_process: subprocess.Popen[bytes] | None = None
    shop = None
    if fakes is not None:
        from .testing.fakes import vendor_options
        from .vendors.fakes import contributed_fakes

        local = "127.0.0.1" if host in ("0.0.0.0", "") else host
        fakes_process = start_fakes_process(local, f"http://{local}:{port}", fakes)
        if fakes_process is None:
            fail(
                f"cannot start the fake gateways on ports {', '.join(map(str, fakes.values()))} "
                "(is another `payment-service fakes` running?)"
            )
        urls = {name: f"http://{local}:{fake_port}" for name, fake_port in fakes.items()}
        options = vendor_options(urls)
        settings = dataclasses.replace(settings, vendors={**settings.vendors, **options})
        titles = {kind.name: kind.title for kind in contributed_fakes()}
        listed = ", ".join(f"{titles[name]} on {url}" for name, url in urls.items())
        click.echo(f"{listed}; their webhooks go to this server")
        shop = demo_shop(settings, f"http://{local}:{port}", urls)
    from .observability.logs import gunicorn_config

    options: dict[str, Any] = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        # Threads let a worker answer a gateway's callback while another request waits on it.
        # Waiting threads cost little (bcrypt and gateway fetches have caps of their own), and
        # enough of them keep a burst of look-ups from queueing /monitors/health behind it.
        "threads": 32,
        "timeout": 60,
        "graceful_timeout": 10,
        # The app writes the access line itself (route rule, request id, our format).
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "info",
        "logconfig_dict": gunicorn_config(settings.log_format),
    }
    metrics_dir = prepare_metrics_dir(settings)
    if metrics_dir is not None:
        options["child_exit"] = _worker_exited
    try:
        GunicornServer(settings, options, shop.install if shop else None).run()
    finally:
        if shop is not None:
            shop.close()
        if metrics_dir is not None and metrics_dir.owned:
            shutil.rmtree(metrics_dir.path, ignore_errors=True)
        if fakes_process is not None:
            fakes_process.terminate()
            try:
                fakes_process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                fakes_process.kill()


def demo_shop(settings: Settings, api_url: str, fakes: Mapping[str, str]) -> Any:
    """The demo shop at `<api_url>/demo` (`demo_shop`), in local mode only: it runs on the
    fakes' published test keys and shows its webhooks to anyone."""
    if settings.mode != "local":
        return None
    from demo_shop import DemoShop

    connection = settings.keys.connection
    shop = DemoShop(api_url, connection.key, connection.iv, fakes)
    click.echo(f"demo shop: {api_url}/demo (orders and webhooks in {shop.directory})")
    return shop


@dataclasses.dataclass(frozen=True)
class MetricsDir:
    path: str
    owned: bool
    """Made by `serve` (removed at exit), rather than given by the operator."""


def prepare_metrics_dir(settings: Settings) -> MetricsDir | None:
    """Set up prometheus_client's multiprocess mode for gunicorn's workers.

    Each worker writes its metric values to files in `PROMETHEUS_MULTIPROC_DIR`, and `/metrics`
    adds up the files. The variable must be set before a worker imports prometheus_client, so
    it is set here, in the master, before any fork. The operator's directory is used when
    given, else a private temporary one. Files left by an earlier run are removed first: their
    counts would otherwise be added to this run's (and a reused pid would mix two processes).
    """
    if not settings.metrics:
        os.environ.pop(MULTIPROC_ENV, None)
        return None
    given = os.environ.get(MULTIPROC_ENV)
    if given:
        os.makedirs(given, exist_ok=True)
        for leftover in glob.glob(os.path.join(given, "*.db")):
            os.remove(leftover)
        return MetricsDir(given, owned=False)
    path = tempfile.mkdtemp(prefix="payment-service-metrics-")
    os.environ[MULTIPROC_ENV] = path
    return MetricsDir(path, owned=True)


def _worker_exited(_server: Any, worker: Any) -> None:
    """gunicorn's child_exit hook: a dead worker's live gauges must not be summed any more
    (its counters stay: totals never go backwards)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def start_fakes_process(
    host: str, webhook_base: str, ports: FakePorts
) -> subprocess.Popen[bytes] | None:
    """Start `payment-service fakes` as a child process (never threads beside gunicorn's
    forking master) and wait until their ports answer; None if it could not start."""
    command = [sys.executable, "-m", "payment_service.cli", "fakes", "--host", host]
    for name, port in ports.items():
        command += [f"--{name}-port", str(port)]
    process = subprocess.Popen([*command, "--webhook-base", webhook_base])
    deadline = time.monotonic() + FAKES_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return None
        if all(_listening(host, port) for port in ports.values()):
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


def run_fakes(host: str, ports: FakePorts, webhook_base: str | None) -> None:
    """Serve the contributed fakes (on `ports` by name, else their defaults) until a signal."""
    from .testing.fakes import GatewayFakes

    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    with GatewayFakes(host, ports, api_url=webhook_base) as fakes:
        for gateway in fakes.gateways.values():
            click.echo(f"{gateway.title} listening on {gateway.url}")
        target = webhook_base or "their own /internal/webhook receivers"
        click.echo(f"webhooks go to {target}")
        stopped.wait()


def run_dispatcher(
    settings: Settings,
    *,
    until_idle: bool,
    metrics_port: int | None = None,
    metrics_host: str = "127.0.0.1",
) -> None:
    """Deliver outgoing webhooks until SIGINT/SIGTERM (or, with `until_idle`, until none is
    pending); with `metrics_port`, serve this process's Prometheus metrics there."""
    from .observability.logs import configure

    configure(settings.log_format)
    # One process: its values live in memory. A multiprocess directory inherited from the
    # environment would mix them into a server's /metrics (and hide them from this port).
    os.environ.pop(MULTIPROC_ENV, None)
    from .app import create_runtime
    from .delivery.dispatcher import Dispatcher
    from .delivery.operations import backlog, has_pending

    runtime = create_runtime(settings)
    if metrics_port is not None and settings.metrics:
        from prometheus_client import start_http_server

        from .observability.metrics import BacklogCollector, scrape_registry

        collector = BacklogCollector(lambda: backlog(runtime.database), runtime.clock)
        server, _thread = start_http_server(
            metrics_port, addr=metrics_host, registry=scrape_registry(collector)
        )
        runtime.closers.append(server.shutdown)
        click.echo(f"metrics on http://{metrics_host}:{server.server_port}/metrics")
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

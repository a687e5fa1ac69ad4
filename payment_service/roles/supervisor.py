"""`payment-service serve`: the roles one machine needs, as sibling processes started,
watched and stopped together.

    serve ─┬─ API        gunicorn master and its workers (`roles.api`)
           ├─ sender     `payment-service webhooks deliver`
           ├─ housekeeper `payment-service housekeeper`
           └─ fakes      `payment-service fakes` (with --with-fakes)

SIGINT or SIGTERM stops every role (the API gracefully) and exits 0. A role that exits on its
own, or cannot start, stops all the others and `serve` exits 1 naming it: a half-running
service (an API whose webhooks nobody sends) is worse than a stopped one that says why. The
roles are in `serve`'s process group (a Ctrl-C or a `kill` of the group reaches them all) and
get SIGTERM should `serve` itself be killed.

With metrics on, the roles share one multiprocess directory, so the API's `/metrics` shows the
sender's and the housekeeper's families too.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import click

from ..observability import multiprocess
from ..settings import Settings
from .api import (
    APPLICATION,
    DEMO_APPLICATION,
    DEMO_ENVIRONMENT,
    demo_environment,
    exec_api,
    gunicorn_command,
)
from .exposure import VARIABLE as UNSAFE_VARIABLE
from .fakes import vendor_options
from .signals import stop_event

START_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 20.0
COMMAND = [sys.executable, "-m", "payment_service.cli"]


class RoleFailed(Exception):
    """A role exited, or did not get ready; the message names it."""


@dataclass
class Role:
    name: str
    command: list[str]
    ready: Callable[[], bool] = lambda: True
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def exit_text(self) -> str:
        assert self.process is not None
        code = self.process.returncode
        if code is not None and code < 0:
            return f"was killed by {signal.Signals(-code).name}"
        return f"exited with status {code}"


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when `serve` dies, however it dies (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Supervisor:
    def __init__(self, environ: Mapping[str, str]):
        self.environ = dict(environ)
        self.roles: list[Role] = []

    def start(self, role: Role) -> Role:
        role.process = subprocess.Popen(role.command, env=self.environ, preexec_fn=_die_with_parent)
        self.roles.append(role)
        return role

    def dead(self) -> Role | None:
        return next((r for r in self.roles if r.process and r.process.poll() is not None), None)

    def wait_ready(self, roles: list[Role], stopped: Callable[[], bool]) -> None:
        """Until every role in `roles` is ready; RoleFailed if any role exits meanwhile."""
        waiting = list(roles)
        deadline = time.monotonic() + START_TIMEOUT_S
        while waiting and not stopped():
            dead = self.dead()
            if dead is not None:
                raise RoleFailed(f"the {dead.name} {dead.exit_text()} while starting")
            waiting = [role for role in waiting if not role.ready()]
            if time.monotonic() > deadline:
                names = ", ".join(role.name for role in waiting)
                raise RoleFailed(f"the {names} did not get ready in {START_TIMEOUT_S:.0f} s")
            if waiting:
                time.sleep(0.1)

    def stop(self) -> None:
        """SIGTERM to every role still running, newest first; SIGKILL past the timeout."""
        for role in reversed(self.roles):
            if role.process is not None and role.process.poll() is None:
                role.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for role in reversed(self.roles):
            assert role.process is not None
            try:
                role.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                click.echo(f"payment-service: the {role.name} did not stop in time: killed")
                role.process.kill()
                role.process.wait()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (OSError, urllib.error.URLError):
        return False


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def local_address(host: str) -> str:
    """Where this machine reaches a server listening on `host`."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "::1"
    return host


def url_of(host: str, port: int) -> str:
    host = local_address(host)
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def demo_shop(settings: Settings, api_url: str, fakes: Mapping[str, str]) -> Any:
    """The demo shop at `<api_url>/demo` (`demo_shop`), in local mode only: it runs on the
    fakes' published test keys and shows its webhooks to anyone. Its orders and webhooks go to
    a directory of its own, shared by the API's workers and removed by `close()`."""
    if settings.mode != "local":
        return None
    # Deferred: the shop imports the fakes, which a plain `serve` must never import.
    from demo_shop import DemoShop

    connection = settings.keys.connection
    shop = DemoShop(api_url, connection.key, connection.iv, fakes)
    click.echo(f"demo shop: {api_url}/demo (orders and webhooks in {shop.directory})")
    return shop


def serve(
    settings: Settings,
    *,
    host: str,
    port: int,
    workers: int,
    fakes: Mapping[str, int] | None,
    api_only: bool,
    unsafe_expose_local_mode: bool,
) -> int:
    """Run the roles until a signal (0) or until one of them fails (1, with a message)."""
    environ = dict(os.environ)
    if unsafe_expose_local_mode:
        environ[UNSAFE_VARIABLE] = "true"
        os.environ[UNSAFE_VARIABLE] = "true"  # for the exec below
    if api_only and fakes is None:
        exec_api(host, port, workers)  # nothing else to watch: the API is the process
    stopped = stop_event()
    supervisor = Supervisor(environ)
    metrics_dir = None
    application = APPLICATION
    shop: Any = None
    try:
        if fakes is not None:
            local = local_address(host)
            urls = {name: url_of(local, fake_port) for name, fake_port in fakes.items()}
            command = [*COMMAND, "fakes", "--host", local, "--webhook-base", url_of(host, port)]
            for name, fake_port in fakes.items():
                command += [f"--{name}-port", str(fake_port)]
            role = supervisor.start(
                Role(
                    "fakes",
                    command,
                    lambda: all(_listening(local, p) for p in fakes.values()),
                )
            )
            supervisor.wait_ready([role], stopped.is_set)
            vendors = {**settings.vendors, **vendor_options(urls)}
            supervisor.environ["PAYMENT_VENDORS"] = json.dumps(vendors)
            shop = demo_shop(settings, url_of(host, port), urls)
            if shop is not None:
                supervisor.environ[DEMO_ENVIRONMENT] = demo_environment(
                    shop.api_url, urls, shop.directory
                )
                application = DEMO_APPLICATION
        if settings.metrics and not api_only:
            metrics_dir = multiprocess.prepare(supervisor.environ)
            supervisor.environ[multiprocess.SUPERVISED_ENV] = metrics_dir.path
        health = f"{url_of(host, port)}/monitors/health"
        started = [
            supervisor.start(
                Role(
                    "API",
                    gunicorn_command(host, port, workers, application),
                    lambda: _answers(health),
                )
            )
        ]
        if not api_only:
            started.append(
                supervisor.start(Role("webhook sender", [*COMMAND, "webhooks", "deliver"]))
            )
            started.append(supervisor.start(Role("housekeeper", [*COMMAND, "housekeeper"])))
        supervisor.wait_ready(started, stopped.is_set)
        if not stopped.is_set():
            names = ", ".join(role.name for role in supervisor.roles)
            click.echo(f"payment-service: serving {url_of(host, port)} ({names}); Ctrl-C stops")
        while not stopped.wait(0.2):
            dead = supervisor.dead()
            # A Ctrl-C reaches the whole group at once: a role stopping for that is no failure.
            if dead is not None and not stopped.wait(0.5):
                raise RoleFailed(f"the {dead.name} {dead.exit_text()}")
        return 0
    except RoleFailed as failure:
        click.echo(f"payment-service: {failure}; stopping every role", err=True)
        return 1
    finally:
        supervisor.stop()
        if metrics_dir is not None:
            metrics_dir.release()
        if shop is not None:
            shop.close()

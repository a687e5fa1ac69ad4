"""What every `payment-service` command shares: failing with a message, the settings, the
database and the runtime, and the options of the fakes' ports. Commands live in modules of
their own and import this; `cli.py` only puts them together."""

from __future__ import annotations

import errno
import socket
import sys
from importlib.metadata import entry_points
from typing import Any, NoReturn

import click

from .db import Database
from .db.migrate import current_revision, upgrade
from .errors import Unavailable
from .runtime import Runtime
from .settings import Settings, SettingsError
from .vendors import DuplicateVendor, VendorConfigError, VendorRegistry
from .vendors.fakes import FAKES_ENTRY_POINT_GROUP, contributed_fakes


def fail(message: str, code: int = 1) -> NoReturn:
    click.echo(f"payment-service: {message}", err=True)
    sys.exit(code)


def load_settings(**overrides: Any) -> Settings:
    try:
        return Settings.load(**overrides)
    except SettingsError as error:
        fail(str(error), code=2)


def port_problem(host: str, port: int) -> str | None:
    """Why nothing can listen on host:port, or None; checked before gunicorn's retry loop."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return f"cannot listen on {host}:{port}: the port is already in use"
            return f"cannot listen on {host}:{port}: {error.strerror}"
    return None


def prepare_database(settings: Settings) -> str:
    """Reach the database and bring its schema up to head (returned), or stop with a clear
    message: unreachable, no migrations installed, or not at head afterwards."""
    database = Database(settings.database_url, settings.database_schema)
    try:
        return upgrade(database)
    except Unavailable as error:
        fail(getattr(error, "detail", error.message))
    finally:
        database.dispose()


def open_database(settings: Settings, code: int = 1) -> Database:
    """The configured database, checked to be reachable and to have the schema (else exit
    with status `code`)."""
    database = Database(settings.database_url, settings.database_schema)
    try:
        database.check()
    except Unavailable as error:
        fail(getattr(error, "detail", error.message), code)
    if current_revision(database) is None:
        fail("the database has no schema yet: run `payment-service schema` first", code)
    return database


def open_runtime(settings: Settings, code: int = 1) -> Runtime:
    """The database and vendors of a command that works like the server, without serving."""
    database = open_database(settings, code)
    try:
        vendors = VendorRegistry.from_settings(settings)
    except (VendorConfigError, DuplicateVendor) as error:
        database.dispose()
        fail(str(error), code=code)
    return Runtime(settings, database, vendors)


class WithFakePorts(click.Command):
    """A command with a `--<name>-port` option for each fake gateway the installed plugins
    contribute. The options are named after the entry points of `payment_service.fakes` (a
    plugin names its entry point after its fake), read without importing anything, so a plain
    `serve` never imports a fake; each fake's own port is its default."""

    _fake_ports: list[click.Parameter] | None = None

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        if self._fake_ports is None:  # click asks several times per invocation
            names = sorted({point.name for point in entry_points(group=FAKES_ENTRY_POINT_GROUP)})
            self._fake_ports = [
                click.Option(
                    [f"--{name}-port", f"{name}_port"],
                    type=int,
                    default=None,
                    help=f"Port of the fake {name} [default: its own].",
                )
                for name in names
            ]
        params = super().get_params(ctx)
        return [*params[:-1], *self._fake_ports, *params[-1:]]  # --help stays last


def fake_ports(options: dict[str, int | None]) -> dict[str, int]:
    """The port of every contributed fake by name: the `--<name>-port` given, else its own."""
    given = {key.removesuffix("_port"): port for key, port in options.items() if port is not None}
    kinds = {kind.name: kind for kind in contributed_fakes()}
    unknown = sorted(set(given) - set(kinds))
    if unknown:
        fail(f"no installed plugin contributes a fake named {', '.join(unknown)}")
    return {name: given.get(name, kind.default_port) for name, kind in kinds.items()}


def metrics_port_options(function: Any) -> Any:
    """`--metrics-port` and `--metrics-host`, for a role that serves no HTTP of its own."""
    function = click.option(
        "--metrics-host",
        default="127.0.0.1",
        show_default=True,
        help="Interface of --metrics-port.",
    )(function)
    return click.option(
        "--metrics-port",
        type=click.IntRange(min=0, max=65535),
        default=None,
        help="Serve this process's Prometheus metrics on this port (0: any free port).",
    )(function)

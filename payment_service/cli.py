"""The `payment-service` command."""

from __future__ import annotations

import errno
import socket
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn

import click

from .db import Database
from .errors import ServiceError, Unavailable
from .settings import Settings, SettingsError
from .settings.commands import keys_group, settings_command

if TYPE_CHECKING:
    from .runtime import Runtime


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
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
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
    from .db.migrate import upgrade

    database = Database(settings.database_url, settings.database_schema)
    try:
        return upgrade(database)
    except Unavailable as error:
        fail(getattr(error, "detail", error.message))
    finally:
        database.dispose()


class WithFakePorts(click.Command):
    """A command with a `--<name>-port` option for each fake gateway the installed plugins
    contribute. The options are named after the entry points of `payment_service.fakes` (a
    plugin names its entry point after its fake), read without importing anything, so a plain
    `serve` never imports a fake; each fake's own port is its default."""

    _fake_ports: list[click.Parameter] | None = None

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        from importlib.metadata import entry_points

        from .vendors.fakes import FAKES_ENTRY_POINT_GROUP

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
    from .vendors.fakes import contributed_fakes

    given = {key.removesuffix("_port"): port for key, port in options.items() if port is not None}
    kinds = {kind.name: kind for kind in contributed_fakes()}
    unknown = sorted(set(given) - set(kinds))
    if unknown:
        fail(f"no installed plugin contributes a fake named {', '.join(unknown)}")
    return {name: given.get(name, kind.default_port) for name, kind in kinds.items()}


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Unified payment server: approve, store, cancel and watch gateway payments."""


@main.command(cls=WithFakePorts)
@click.option("--host", default=None, help="Interface to listen on [default: 127.0.0.1].")
@click.option("--port", type=int, default=None, help="Port to listen on [default: 37821].")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Gunicorn workers.")
@click.option(
    "--with-fakes",
    is_flag=True,
    help="Also start the fake gateways and point the vendor plugins at them.",
)
def serve(
    host: str | None, port: int | None, workers: int | None, with_fakes: bool, **ports: int | None
) -> None:
    """Run the API under gunicorn until SIGINT or SIGTERM (the fakes' ports: with fakes)."""
    from .serving import serve as run

    settings = load_settings()
    host = host or settings.host
    port = settings.port if port is None else port
    problem = port_problem(host, port)
    if problem:
        fail(problem)
    fakes = fake_ports(ports) if with_fakes else None
    run(settings, host=host, port=port, workers=workers or settings.workers, fakes=fakes)


@main.command(cls=WithFakePorts)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--webhook-base",
    default=None,
    metavar="URL",
    help="Post webhooks to URL/payments/webhooks/<vendor> (a payment server) "
    "instead of the fakes' own receivers.",
)
def fakes(host: str, webhook_base: str | None, **ports: int | None) -> None:
    """Run the fake gateways of the installed vendor plugins until SIGINT or SIGTERM."""
    from .serving import run_fakes

    by_name = fake_ports(ports)
    for port in by_name.values():
        problem = port_problem(host, port)
        if problem:
            fail(problem)
    run_fakes(host, by_name, webhook_base)


@main.group()
def webhooks() -> None:
    """Inspect and replay outgoing webhooks."""


@webhooks.command("list")
@click.option("--status", type=click.Choice(["pending", "delivered", "failed"]), default=None)
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
def webhooks_list(status: str | None, limit: int) -> None:
    """List outgoing webhooks, newest first: each with its payment and its receiver."""
    from .delivery.operations import list_webhooks
    from .payments.views import iso

    database = _database(load_settings())
    rows = list_webhooks(database, status, limit)
    click.echo(
        f"{'id':36}  {'status':9}  {'attempts':>8}  {'created_at':24}  {'payment':36}  "
        "receiver  next / error"
    )
    for row in rows:
        if row.status == "pending":
            tail = f"next attempt {iso(row.next_attempt_at)}"
        elif row.status == "delivered":
            tail = f"delivered {iso(row.delivered_at)}"
        else:
            tail = row.last_error or ""
        click.echo(
            f"{row.id:36}  {row.status:9}  {row.attempts:>8}  {iso(row.created_at):24}  "
            f"{row.payment_history_id:36}  {row.receiver}  {tail}"
        )
    if not rows:
        click.echo("(none)")


@webhooks.command("retry")
@click.argument("ids", nargs=-1)
@click.option("--failed", "all_failed", is_flag=True, help="Requeue every failed webhook.")
def webhooks_retry(ids: tuple[str, ...], all_failed: bool) -> None:
    """Deliver webhooks again: the given IDS, or every failed one with --failed.

    A running server delivers them at its next poll; so does `webhooks deliver`.
    """
    from datetime import UTC, datetime

    from .delivery.operations import retry
    from .errors import NotFound

    if bool(ids) == all_failed:
        fail("give webhook ids or --failed (not both)", code=2)
    settings = load_settings()
    try:
        count = retry(_database(settings), settings, datetime.now(UTC), list(ids) or None)
    except NotFound as error:
        fail(error.message)
    click.echo(f"requeued {count} webhook(s)")


@webhooks.command("deliver")
@click.option("--until-idle", is_flag=True, help="Exit once no webhook is pending.")
@click.option(
    "--metrics-port",
    type=click.IntRange(min=0, max=65535),
    default=None,
    help="Serve this process's Prometheus metrics on this port (0: any free port).",
)
@click.option(
    "--metrics-host", default="127.0.0.1", show_default=True, help="Interface of --metrics-port."
)
def webhooks_deliver(until_idle: bool, metrics_port: int | None, metrics_host: str) -> None:
    """Run a webhook dispatcher without serving HTTP (e.g. on a dedicated machine)."""
    from .serving import run_dispatcher

    run_dispatcher(
        load_settings(),
        until_idle=until_idle,
        metrics_port=metrics_port,
        metrics_host=metrics_host,
    )


@main.command()
@click.option("--vendor", "vendor_code", required=True, metavar="CODE", help="A vendor code.")
@click.option("--store", "store_id", default=None, metavar="ID", help="Only this store.")
@click.option("--since", required=True, metavar="ISO8601", help="Window start (inclusive).")
@click.option("--until", required=True, metavar="ISO8601", help="Window end (exclusive).")
@click.option("--repair", is_flag=True, help="Apply the gateway's state to drifted records.")
@click.option(
    "--cancel-orphans-older-than",
    "older_than",
    default=None,
    metavar="DURATION",
    help="Refund orphans older than this (e.g. 1h) at the gateway.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def reconcile(
    vendor_code: str,
    store_id: str | None,
    since: str,
    until: str,
    repair: bool,
    older_than: str | None,
    as_json: bool,
) -> None:
    """Compare a gateway's payments of a window with the records, and repair.

    Exit status: 0 nothing found, 1 orphans, drift or unknown records found, 2 an error.
    """
    from .payments import reconcile as core

    try:
        window = core.parse_instant(since), core.parse_instant(until)
        cancel_after = None if older_than is None else core.parse_duration(older_than)
    except ValueError as error:
        fail(str(error), code=2)
    if window[0] >= window[1]:
        fail("--since must be before --until", code=2)
    runtime = _runtime(load_settings())
    try:
        with _progress(enabled=not as_json) as progress:
            report = core.reconcile(
                runtime,
                vendor_code,
                *window,
                store_id=store_id,
                repair=repair,
                cancel_older_than=cancel_after,
                progress=progress,
            )
    except ServiceError as error:
        fail(error.message, code=2)
    finally:
        runtime.close()
    if as_json:
        from .crypto import dumps

        click.echo(dumps(report.to_json()))
    else:
        click.echo(core.render_text(report))
    for problem in report.errors:
        click.echo(f"payment-service: {problem}", err=True)
    sys.exit(2 if report.errors else 1 if report.found else 0)


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[float], None]]:
    """A progress bar on stderr (shown on terminals only) fed with fractions from 0 to 1."""
    if not enabled:
        yield lambda done: None
        return
    steps = 1000
    with click.progressbar(length=steps, label="reconciling", file=sys.stderr) as bar:

        def advance(done: float) -> None:
            bar.update(max(0, round(done * steps) - bar.pos))

        yield advance


def _runtime(settings: Settings) -> Runtime:
    """The database and vendors of a command that works like the server, without serving."""
    from .runtime import Runtime
    from .vendors import DuplicateVendor, VendorConfigError, VendorRegistry

    database = _database(settings, code=2)  # 1 would read as "something was found"
    try:
        vendors = VendorRegistry.from_settings(settings)
    except (VendorConfigError, DuplicateVendor) as error:
        database.dispose()
        fail(str(error), code=2)
    return Runtime(settings, database, vendors)


def _database(settings: Settings, code: int = 1) -> Database:
    """The configured database, checked to be reachable and to have the schema (else exit
    with status `code`)."""
    from .db.migrate import current_revision

    database = Database(settings.database_url, settings.database_schema)
    try:
        database.check()
    except Unavailable as error:
        fail(getattr(error, "detail", error.message), code)
    if current_revision(database) is None:
        fail("the database has no schema yet: run `payment-service schema` first", code)
    return database


@main.command()
def schema() -> None:
    """Create or upgrade the database schema (idempotent); non-zero unless it ends at head."""
    revision = prepare_database(load_settings())
    click.echo(f"schema is at revision {revision}")


@main.command("setup-db")
@click.option(
    "--admin-url",
    required=True,
    metavar="URL",
    help="A PostgreSQL role that may create roles and databases, e.g. "
    "postgresql+psycopg://postgres:…@host:5432/postgres.",
)
def setup_db(admin_url: str) -> None:
    """Create the database of PAYMENT_DATABASE_URL, its owner role, the schema
    PAYMENT_DATABASE_SCHEMA and the optional read-only role, then migrate to head.

    PostgreSQL only. Idempotent: what exists is kept (passwords included).
    """
    from .db.setup import Target, setup_database

    settings = load_settings()
    target = Target(
        database_url=settings.database_url,
        schema=settings.database_schema,
        readonly_user=settings.database_readonly_user,
        readonly_password=settings.database_readonly_password,
    )
    try:
        setup_database(admin_url, target, say=click.echo)
    except Unavailable as error:
        fail(error.message)


@main.command("rotate-keys")
@click.option("--dry-run", is_flag=True, help="Only count the records that would change.")
@click.option("--batch-size", type=click.IntRange(min=1), default=200, show_default=True)
@click.option(
    "--pause",
    "pause_s",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    metavar="SECONDS",
    help="Sleep between batches, to leave the database to the servers.",
)
def rotate_keys(dry_run: bool, batch_size: int, pause_s: float) -> None:
    """Re-encrypt every stored record with the current at-rest keys.

    Safe while servers run (short transactions; a row is rewritten only if unchanged since it
    was read) and resumable: run it again after an interruption. Needs the previous keys in
    PAYMENT_{TABLE}_PREVIOUS_KEYS. Exits 1 if some record opens with no configured key.
    """
    from .rotation import UNREADABLE_SHOWN, count_rows
    from .rotation import rotate_keys as rotate

    settings = load_settings()
    database = _database(settings)
    label = "counting" if dry_run else "re-encrypting"
    with click.progressbar(length=count_rows(database), label=label, file=sys.stderr) as bar:
        reports = rotate(
            database,
            settings.keys,
            dry_run=dry_run,
            batch_size=batch_size,
            pause_s=pause_s,
            progress=bar.update,
        )
    database.dispose()
    verb = "would re-encrypt" if dry_run else "re-encrypted"
    for report in reports:
        line = (
            f"{report.table}: {report.scanned} record(s), {verb} {report.rewritten}, "
            f"{report.current} already current"
        )
        if report.busy:
            line += f", {report.busy} busy (run again)"
        if report.unreadable:
            shown = ", ".join(report.unreadable[:UNREADABLE_SHOWN])
            more = "…" if len(report.unreadable) > UNREADABLE_SHOWN else ""
            line += f", {len(report.unreadable)} unreadable with any configured key: {shown}{more}"
        click.echo(line)
    total = sum(r.scanned for r in reports)
    done = sum(r.rewritten for r in reports)
    click.echo(f"{verb} {done} of {total} record(s)")
    if any(r.unreadable for r in reports):
        sys.exit(1)


@main.command()
def openapi() -> None:
    """Print the OpenAPI document (JSON) of this server with its installed plugins.

    Needs no database and no network: `payment-service openapi > openapi.json`.
    """
    import json

    from .app import create_app
    from .vendors import DuplicateVendor, VendorConfigError

    # An in-memory SQLite URL that nothing opens: building the document runs no query, and no
    # dispatcher thread is started.
    settings = load_settings(database_url="sqlite://")
    try:
        app = create_app(settings, deliver_webhooks=False)
    except (VendorConfigError, DuplicateVendor) as error:
        fail(str(error), code=2)
    try:
        api = app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
        with app.app_context():
            document = api.spec.to_dict()
    finally:
        app.extensions["payment_service"].close()
    click.echo(json.dumps(document, indent=2, ensure_ascii=False))


# The declared settings' own commands: `settings [--markdown]`, `keys generate`.
main.add_command(settings_command)
main.add_command(keys_group)

from .adoption.commands import adopt_original  # noqa: E402 (commands live in their own module)

main.add_command(adopt_original)

if __name__ == "__main__":
    main()

"""The `payment-service` command: the commands of each area, put together.

Each area keeps its commands in a module of its own (`roles.commands`, ...) built on
`commandline` (settings, database, failing with a message); register one here with a line.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from .app import create_app
from .commandline import fail, load_settings, open_database, open_runtime, prepare_database
from .crypto import dumps
from .db.setup import Target, setup_database
from .delivery.operations import list_webhooks, retry
from .errors import NotFound, ServiceError, Unavailable
from .healing import commands as healing
from .healing.commands import cli_user
from .healing.findings import store_report
from .payments import reconcile as core
from .payments.views import iso
from .roles import commands as roles
from .rotation import UNREADABLE_SHOWN, count_rows
from .rotation import rotate_keys as rotate
from .runtime import utcnow
from .settings.commands import keys_group, settings_command
from .vendors import DuplicateVendor, VendorConfigError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Unified payment server: approve, store, cancel and watch gateway payments."""


main.add_command(roles.serve)
main.add_command(roles.fakes)
main.add_command(roles.housekeeper)
main.add_command(healing.janitor)
main.add_command(healing.findings)


@main.group()
def webhooks() -> None:
    """Inspect and replay outgoing webhooks."""


@webhooks.command("list")
@click.option("--status", type=click.Choice(["pending", "delivered", "failed"]), default=None)
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
def webhooks_list(status: str | None, limit: int) -> None:
    """List outgoing webhooks, newest first: each with its payment and its receiver."""
    database = open_database(load_settings())
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
            f"{row.payment_history_id or row.schedule_id or '':36}  {row.receiver}  {tail}"
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
    if bool(ids) == all_failed:
        fail("give webhook ids or --failed (not both)", code=2)
    settings = load_settings()
    try:
        count = retry(open_database(settings), settings, utcnow(), list(ids) or None)
    except NotFound as error:
        fail(error.message)
    click.echo(f"requeued {count} webhook(s)")


webhooks.add_command(roles.deliver)


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
    try:
        window = core.parse_instant(since), core.parse_instant(until)
        cancel_after = None if older_than is None else core.parse_duration(older_than)
    except ValueError as error:
        fail(str(error), code=2)
    if window[0] >= window[1]:
        fail("--since must be before --until", code=2)
    runtime = open_runtime(load_settings(), code=2)
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
        # Kept, like every run's: `findings list` shows them, `findings repair` acts on one.
        store_report(runtime, report, found_by="cli", actor=cli_user())
    except ServiceError as error:
        fail(error.message, code=2)
    finally:
        runtime.close()
    if as_json:
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


@main.command()
def schema() -> None:
    """Create or upgrade the database schema (idempotent); non-zero unless it ends at head."""
    revision = prepare_database(load_settings())
    click.echo(f"schema is at revision {revision}")


@main.command("setup-db")
@click.option(
    "--admin-url",
    metavar="URL",
    default=None,
    help="A PostgreSQL role that may create roles and databases; `-` reads the URL from "
    "standard input. Default: PAYMENT_ADMIN_DATABASE_URL. A password written here is visible "
    "in the process list.",
)
def setup_db(admin_url: str | None) -> None:
    """Create the database of PAYMENT_DATABASE_URL, its owner role, the schema
    PAYMENT_DATABASE_SCHEMA and the optional read-only role, then migrate to head.

    PostgreSQL only. Idempotent: what exists is kept (passwords included). Role passwords
    are sent to the server as SCRAM-SHA-256 verifiers, never in clear.
    """
    settings = load_settings()
    if admin_url == "-":
        admin_url = click.get_text_stream("stdin").readline().strip()
    elif admin_url is None:
        admin_url = settings.admin_database_url
    elif _has_password(admin_url):
        click.echo(
            "payment-service: warning: the administrator's password is on the command line, "
            "where the process list shows it; give the URL in PAYMENT_ADMIN_DATABASE_URL or "
            "on standard input (--admin-url -) instead",
            err=True,
        )
    if not admin_url:
        fail(
            "setup-db needs an administrator's URL: set PAYMENT_ADMIN_DATABASE_URL, or pass "
            "--admin-url - and write it on standard input"
        )
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


def _has_password(url: str) -> bool:
    try:
        return bool(make_url(url).password)
    except ArgumentError:
        return False


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
    settings = load_settings()
    database = open_database(settings)
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
    # An in-memory SQLite URL that nothing opens: building the document runs no query.
    settings = load_settings(database_url="sqlite://")
    try:
        app = create_app(settings)
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

from .console.commands import audit_command, operators_group  # noqa: E402 (as above)

main.add_command(operators_group)
main.add_command(audit_command)

from .payments.commands import schedules_group  # noqa: E402 (as above)

main.add_command(schedules_group)

if __name__ == "__main__":
    main()

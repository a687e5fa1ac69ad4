"""`payment-service janitor --once` and `payment-service findings list|repair|ignore`."""

from __future__ import annotations

import getpass
import os

import click

from ..commandline import fail, load_settings, open_runtime
from ..crypto import dumps
from ..errors import ServiceError
from ..payments.views import iso
from . import findings as api
from .janitor import run_janitor


def cli_user() -> str:
    """Who runs the command, for the findings' trail (`cli:<login>`)."""
    try:
        name = getpass.getuser()
    except Exception:  # no login name (a container without one): say so rather than fail
        name = os.environ.get("USER") or "unknown"
    return f"cli:{name}"


@click.command()
@click.option("--once", is_flag=True, required=True, help="One round, then exit (for cron).")
def janitor(once: bool) -> None:
    """Re-check every record in doubt that is due with its gateway, once (the housekeeper does
    this every round; docs/janitor.md)."""
    runtime = open_runtime(load_settings())
    try:
        done = run_janitor(runtime)
    finally:
        runtime.close()
    click.echo(
        f"{done.found} record(s) in doubt, {done.checked} checked: {done.settled} settled, "
        f"{done.gave_up} given up (findings), {done.errors} gateway error(s)"
    )


@click.group()
def findings() -> None:
    """Findings of reconciliation and the janitor: list, repair, ignore (docs/janitor.md)."""


@findings.command("list")
@click.option("--state", type=click.Choice(api.STATES), default=None, help="Only this state.")
@click.option("--kind", type=click.Choice(api.KINDS), default=None, help="Only this kind.")
@click.option("--vendor", default=None, metavar="CODE", help="Only this vendor.")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array.")
def findings_list(
    state: str | None, kind: str | None, vendor: str | None, limit: int, as_json: bool
) -> None:
    """List stored findings, the most recently seen first."""
    runtime = open_runtime(load_settings())
    try:
        found = api.list_findings(runtime, state=state, kind=kind, vendor=vendor, limit=limit)
    except ServiceError as error:
        fail(error.message, code=2)
    finally:
        runtime.close()
    if as_json:
        click.echo(dumps([finding.to_json() for finding in found]))
        return
    for f in found:
        closed = f" by {f.closed_by}: {f.reason}" if f.state != "open" else ""
        click.echo(
            f"{f.id}  {f.state:8}  {f.kind:15}  {f.vendor_code}  {f.vendor_uid}  "
            f"seen {iso(f.last_seen_at)} ({f.times_seen}x)  {f.summary}{closed}"
        )
    if not found:
        click.echo("(none)")


def _act(action: str, finding_id: str, reason: str, by: str | None) -> None:
    runtime = open_runtime(load_settings())
    try:
        act = api.repair if action == "repair" else api.ignore
        done = act(runtime, finding_id, actor=by or cli_user(), reason=reason)
    except ServiceError as error:
        fail(error.message)
    finally:
        runtime.close()
    click.echo(f"finding {done.id} {done.state} by {done.closed_by}: {done.reason}")


@findings.command("repair")
@click.argument("finding_id", metavar="ID")
@click.option("--reason", required=True, help="Why (kept in the finding's trail).")
@click.option("--by", default=None, help="Who acts (default: cli:<your login>).")
def findings_repair(finding_id: str, reason: str, by: str | None) -> None:
    """Repair what an open finding reports, as `reconcile --repair` would for it."""
    _act("repair", finding_id, reason, by)


@findings.command("ignore")
@click.argument("finding_id", metavar="ID")
@click.option("--reason", required=True, help="Why (kept in the finding's trail).")
@click.option("--by", default=None, help="Who acts (default: cli:<your login>).")
def findings_ignore(finding_id: str, reason: str, by: str | None) -> None:
    """Close an open finding without changing anything."""
    _act("ignore", finding_id, reason, by)

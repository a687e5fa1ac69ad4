"""`payment-service schedules run-due [--now ISO-8601]`: charge the schedules' due periods once,
as the housekeeper does each round, optionally as of another time (tests, catching up)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import click

from ..commandline import fail, load_settings, open_runtime
from . import schedules


@click.group("schedules")
def schedules_group() -> None:
    """Schedules of saved-card charges (docs/subscriptions.md)."""


@schedules_group.command("run-due")
@click.option(
    "--now",
    default=None,
    help="Charge as of this ISO-8601 time (UTC when it has no offset) [default: the clock].",
)
def run_due(now: str | None) -> None:
    """Open the periods that have fallen due and charge every due period once."""
    at = None
    if now is not None:
        try:
            at = datetime.fromisoformat(now)
        except ValueError:
            fail(f"--now {now!r} is not an ISO-8601 time", code=2)
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
    runtime = open_runtime(load_settings())
    try:
        if at is not None:
            moment = at
            runtime = dataclasses.replace(runtime, clock=lambda: moment, closers=[])
        attempted = schedules.charge_due(runtime)
    finally:
        runtime.close()
    click.echo(f"{attempted} charge(s) attempted")

"""The commands of the roles: `serve`, `fakes`, `housekeeper` and `webhooks deliver`."""

from __future__ import annotations

import sys

import click

from ..commandline import (
    WithFakePorts,
    fail,
    fake_ports,
    load_settings,
    metrics_port_options,
    port_problem,
    prepare_database,
)
from .exposure import FLAG as UNSAFE_FLAG
from .exposure import exposure_problem
from .fakes import run_fakes
from .housekeeper import run_housekeeper
from .sender import run_sender
from .supervisor import serve as supervise


@click.command(cls=WithFakePorts)
@click.option("--host", default=None, help="Interface to listen on [default: 127.0.0.1].")
@click.option("--port", type=int, default=None, help="Port to listen on [default: 37821].")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Gunicorn workers.")
@click.option(
    "--with-fakes",
    is_flag=True,
    help="Also start the fake gateways and point the vendor plugins at them.",
)
@click.option(
    "--api-only",
    is_flag=True,
    help="Only the API: no webhook sender, no housekeeper (run those as roles of their own).",
)
@click.option(
    UNSAFE_FLAG,
    "unsafe_expose_local_mode",
    is_flag=True,
    help="Listen beyond loopback even in local mode, with its published keys.",
)
def serve(
    host: str | None,
    port: int | None,
    workers: int | None,
    with_fakes: bool,
    api_only: bool,
    unsafe_expose_local_mode: bool,
    **ports: int | None,
) -> None:
    """Run the API under gunicorn, with a webhook sender and a housekeeper beside it, until
    SIGINT or SIGTERM (the fakes' ports: with fakes)."""
    settings = load_settings()
    host = host or settings.host
    port = settings.port if port is None else port
    unsafe = unsafe_expose_local_mode or settings.unsafe_expose_local_mode
    problem = exposure_problem(settings, [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"])
    if problem and not unsafe:
        fail(problem, code=2)
    problem = port_problem(host, port)
    if problem:
        fail(problem)
    fakes = fake_ports(ports) if with_fakes else None
    prepare_database(settings)
    status = supervise(
        settings,
        host=host,
        port=port,
        workers=workers or settings.workers,
        fakes=fakes,
        api_only=api_only,
        unsafe_expose_local_mode=unsafe,
    )
    sys.exit(status)


@click.command(cls=WithFakePorts)
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
    by_name = fake_ports(ports)
    for port in by_name.values():
        problem = port_problem(host, port)
        if problem:
            fail(problem)
    run_fakes(host, by_name, webhook_base)


@click.command()
@click.option("--once", is_flag=True, help="Run every job once, then exit (1 if one failed).")
@metrics_port_options
def housekeeper(once: bool, metrics_port: int | None, metrics_host: str) -> None:
    """Run the periodic jobs (settling refunds, expiring idempotency keys, purging old
    failed-password rows, ...) every PAYMENT_HOUSEKEEPING_INTERVAL_S until SIGINT or SIGTERM."""
    run_housekeeper(
        load_settings(), once=once, metrics_port=metrics_port, metrics_host=metrics_host
    )


@click.command("deliver")
@click.option("--until-idle", is_flag=True, help="Exit once no webhook is pending.")
@metrics_port_options
def deliver(until_idle: bool, metrics_port: int | None, metrics_host: str) -> None:
    """Send the outgoing webhooks (the sender role) until SIGINT or SIGTERM."""
    run_sender(
        load_settings(), until_idle=until_idle, metrics_port=metrics_port, metrics_host=metrics_host
    )

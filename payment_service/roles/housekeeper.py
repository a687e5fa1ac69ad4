"""The housekeeper role (`payment-service housekeeper`): every periodic job
(`housekeeping.JOBS`) each `PAYMENT_HOUSEKEEPING_INTERVAL_S`, and nothing else."""

from __future__ import annotations

import click

from ..app import create_runtime
from ..housekeeping import Housekeeper
from ..observability.logs import configure
from ..settings import Settings
from . import heap
from .exposition import serve_metrics
from .signals import stop_event


def run_housekeeper(
    settings: Settings,
    *,
    once: bool,
    metrics_port: int | None = None,
    metrics_host: str = "127.0.0.1",
) -> None:
    """Run the jobs every interval until SIGINT/SIGTERM (with `once`: one round, then exit,
    non-zero if a job failed); with `metrics_port`, serve this process's metrics there."""
    configure(settings.log_format)
    runtime = create_runtime(settings)
    stopped = stop_event()
    housekeeper = Housekeeper(runtime)
    failed: list[str] = []
    try:
        if metrics_port is not None and settings.metrics and not once:
            serve_metrics(runtime, metrics_port, metrics_host, with_backlog=False)
        heap.settle()
        # A first round at once: work left by a stopped housekeeper is not left waiting.
        failed = [job for job, ok in housekeeper.run_once().items() if not ok]
        while not once and not stopped.wait(housekeeper.interval_s):
            housekeeper.run_once()
    finally:
        runtime.close()
    if once:
        click.echo(f"ran {len(housekeeper.jobs)} job(s), {len(failed)} failed")
        if failed:
            raise SystemExit(1)

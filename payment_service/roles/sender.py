"""The sender role (`payment-service webhooks deliver`): delivers the outbox, and nothing else.

Any number of senders may run over one database (rows are claimed through it). Idle, it looks
for due rows every `PAYMENT_WEBHOOK_POLL_S`, and is woken at once when an API process commits a
new webhook (`db.notifications`: NOTIFY on PostgreSQL, the file's change counter on SQLite).
"""

from __future__ import annotations

import click

from ..app import create_runtime
from ..db.notifications import OutboxListener
from ..delivery.dispatcher import Dispatcher
from ..delivery.operations import has_pending
from ..observability.logs import configure
from ..settings import Settings
from . import heap
from .exposition import serve_metrics
from .signals import stop_event


def run_sender(
    settings: Settings,
    *,
    until_idle: bool,
    metrics_port: int | None = None,
    metrics_host: str = "127.0.0.1",
) -> None:
    """Deliver outgoing webhooks until SIGINT/SIGTERM (or, with `until_idle`, until none is
    pending); with `metrics_port`, serve this process's Prometheus metrics there."""
    configure(settings.log_format)
    runtime = create_runtime(settings)
    stopped = stop_event()
    dispatcher = Dispatcher(runtime)
    try:
        if metrics_port is not None and settings.metrics:
            serve_metrics(runtime, metrics_port, metrics_host, with_backlog=True)
        heap.settle()
        dispatcher.start()
        runtime.closers.append(OutboxListener(runtime.database, dispatcher.wake).start().stop)
        while not stopped.wait(settings.webhooks.poll_s):
            if until_idle and not has_pending(runtime.database):
                break
    finally:
        dispatcher.stop()
        runtime.close()
    click.echo(f"attempted {dispatcher.attempted} webhook delivery(ies)")

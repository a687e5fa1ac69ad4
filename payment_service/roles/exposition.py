"""`--metrics-port`: a role without HTTP of its own (the sender, the housekeeper) serves its
Prometheus metrics there, from a thread of its process."""

from __future__ import annotations

import click
from prometheus_client import start_http_server

from ..delivery.operations import backlog
from ..observability.metrics import BacklogCollector, scrape_registry
from ..payments.schedules import count_by_status
from ..runtime import Runtime


def serve_metrics(runtime: Runtime, port: int, host: str, *, with_backlog: bool) -> None:
    """Serve this process's families (and the webhook backlog, read at each scrape) on
    host:port until the runtime is closed."""
    collector = None
    if with_backlog:
        collector = BacklogCollector(
            lambda: backlog(runtime.database),
            runtime.clock,
            schedules=lambda: count_by_status(runtime),
        )
    server, thread = start_http_server(port, addr=host, registry=scrape_registry(collector))

    def shut_down() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    runtime.closers.append(shut_down)
    click.echo(f"metrics on http://{host}:{server.server_port}/metrics")

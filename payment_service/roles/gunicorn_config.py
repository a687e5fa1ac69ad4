"""gunicorn's configuration for the API role, whoever starts it:

    gunicorn --config python:payment_service.roles.gunicorn_config wsgi:app   # the Procfile
    payment-service serve [--api-only]                                         # runs the same

Listening address and workers default to `PAYMENT_API_HOST`, `PAYMENT_API_PORT` and
`PAYMENT_WORKERS` (`--bind` and `--workers` on gunicorn's command line win). The hooks set up
what must happen in the master, before any worker starts: the refusal of local mode beyond
loopback, and the directory where the workers write their metrics (`PROMETHEUS_MULTIPROC_DIR`:
the operator's, else a private one removed at exit). No control socket: gunicorn's default path
is one per user, shared by every instance a user runs (`--control-socket PATH` enables one).

This module is read by the master before it forks: it must not import prometheus_client
(nor anything that does), or the workers would count in memory instead of in the files.
"""

from __future__ import annotations

import sys
from typing import Any

from gunicorn import glogging

from ..observability import multiprocess
from ..observability.logs import gunicorn_config
from ..settings import Settings, SettingsError
from . import heap
from .exposure import exposure_problem

try:
    settings = Settings.load()
except SettingsError as error:
    sys.exit(f"payment-service: {error}")

bind = [f"{settings.host}:{settings.port}"]
workers = settings.workers
worker_class = "gthread"
# Threads let a worker answer a gateway's callback while another request waits on it. Waiting
# threads cost little (bcrypt and gateway fetches have caps of their own), and enough of them
# keep a burst of look-ups from queueing /monitors/health behind it.
threads = 32
timeout = 60
graceful_timeout = 10
# The app writes the access line itself (route rule, request id, our format).
accesslog = None


class AppLogsAccess(glogging.Logger):
    """gunicorn's logger without its own access line: with `logconfig_dict` set it would
    build one for every request (and drop it), a twentieth of a health check's CPU."""

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        return None


logger_class = AppLogsAccess
errorlog = "-"
loglevel = "info"
logconfig_dict = gunicorn_config(settings.log_format)
control_socket_disable = True

_metrics_dir: multiprocess.MetricsDir | None = None


def on_starting(server: Any) -> None:
    """In the master, before it binds or forks."""
    global _metrics_dir
    problem = exposure_problem(settings, server.cfg.bind)
    if problem:
        sys.exit(f"payment-service: {problem}")
    if settings.metrics:
        if "prometheus_client" in sys.modules:
            # Workers would inherit the in-memory mode and /metrics would read empty files.
            sys.exit("payment-service: prometheus_client was imported before the workers' metrics")
        _metrics_dir = multiprocess.adopt() or multiprocess.prepare()


def post_worker_init(worker: Any) -> None:
    """In each worker, once it has loaded the app and before it takes requests."""
    heap.settle()


def child_exit(server: Any, worker: Any) -> None:
    if _metrics_dir is not None:
        multiprocess.mark_dead(worker.pid)


def on_exit(server: Any) -> None:
    if _metrics_dir is not None:
        _metrics_dir.release()

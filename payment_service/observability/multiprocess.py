"""The directory where the processes of one API instance (gunicorn's workers, and under `serve`
its sender and housekeeper too) write their metric values, so that one `/metrics` adds them up
(prometheus_client's multiprocess mode).

prometheus_client decides when it is first imported whether values go to files: the variable
must be set before then, in the process that forks the workers. Hence this module imports
nothing of prometheus_client at module level; the gunicorn master (`roles.gunicorn_config`) and
`serve` call `prepare` before any worker or role starts.
"""

from __future__ import annotations

import glob
import os
import shutil
import tempfile
from collections.abc import MutableMapping
from dataclasses import dataclass

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
PREFIX = "payment-service-metrics-"


@dataclass(frozen=True)
class MetricsDir:
    path: str
    owned: bool
    """Made here (removed by `release`), rather than given by the operator."""
    owner_pid: int
    """The process that prepared it: only that one removes it (forked workers inherit the
    object, and must not)."""

    def release(self) -> None:
        if self.owned and os.getpid() == self.owner_pid:
            shutil.rmtree(self.path, ignore_errors=True)


def prepare(environ: MutableMapping[str, str] = os.environ) -> MetricsDir:
    """Set `PROMETHEUS_MULTIPROC_DIR` in `environ` for the processes started from now on.

    The operator's directory is used when given (emptied first: files of an earlier run would
    add their counts to this run's, and a reused pid would mix two processes); otherwise a new
    private temporary one, removed by `release`.
    """
    given = environ.get(MULTIPROC_ENV)
    if given:
        os.makedirs(given, exist_ok=True)
        for leftover in glob.glob(os.path.join(given, "*.db")):
            os.remove(leftover)
        return MetricsDir(given, owned=False, owner_pid=os.getpid())
    # The pid in the name says whose it is, should a killed (-9) process leave it behind.
    path = tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-")
    environ[MULTIPROC_ENV] = path
    return MetricsDir(path, owned=True, owner_pid=os.getpid())


def adopt(environ: MutableMapping[str, str] = os.environ) -> MetricsDir | None:
    """The directory a supervising `serve` prepared for this process (never emptied or
    removed here: the siblings' files are in it), or None when it did not."""
    given = environ.get(MULTIPROC_ENV)
    if given and environ.get(SUPERVISED_ENV) == given:
        return MetricsDir(given, owned=False, owner_pid=os.getpid())
    return None


SUPERVISED_ENV = "PAYMENT_SERVE_METRICS_DIR"
"""Set by `serve` to the directory it prepared and shares between its roles (internal: it tells
the API role not to empty a directory its siblings already write to)."""


def mark_dead(pid: int) -> None:
    """A dead process's live gauges must not be summed any more (counters stay: totals never
    go backwards)."""
    # Deferred: the master calls this long after it set the variable (see the module's doc).
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid)

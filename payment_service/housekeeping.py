"""Periodic work that no request should wait for (expired idempotency keys, …).

A `Housekeeper` is one daemon thread running its jobs at a fixed interval: every server process
has one for the clean-up `JOBS`, and one for `payments.refunds.SETTLING_JOBS` when it delivers
webhooks. Jobs are guarded by the database, so several processes running them at once is
harmless.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from .runtime import Runtime

log = logging.getLogger(__name__)

Job = Callable[[Runtime], object]


def purge_idempotency_keys(runtime: Runtime) -> int:
    """Delete every expired idempotency key, in batches so no transaction grows large."""
    total = 0
    while True:
        purged = runtime.idempotency.purge(runtime.clock())
        total += purged
        if purged == 0:
            return total


JOBS: tuple[Job, ...] = (purge_idempotency_keys,)


class Housekeeper:
    """A daemon thread running `jobs` every `interval_s`, each on its own: one failing does not
    keep the others from running."""

    def __init__(
        self,
        runtime: Runtime,
        interval_s: float = 60.0,
        jobs: tuple[Job, ...] = JOBS,
        name: str = "housekeeper",
    ):
        self.runtime = runtime
        self.interval_s = interval_s
        self.jobs = jobs
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def start(self) -> Housekeeper:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=10)

    def run_once(self) -> None:
        for job in self.jobs:
            try:
                job(self.runtime)
            except Exception:
                # A database hiccup must not kill the thread: the next round tries again.
                log.exception("housekeeping job %s failed", job.__name__)

    def _loop(self) -> None:
        while not self._stopped.wait(self.interval_s):
            self.run_once()

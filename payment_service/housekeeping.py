"""Periodic work that no request should wait for, run by the housekeeper role
(`payment-service housekeeper`, which `serve` starts beside the API).

A job is a callable taking the `Runtime`; it reads the time only from `runtime.clock()` and is
guarded by the database, so that several housekeepers running it at once (a second machine, a
restart that overlaps) is harmless. To add periodic work, write such a function and add it to
`JOBS`: every round runs each job once, in order, each on its own (one failing does not keep
the others from running). A job that must run less often than every round keeps its own
schedule (e.g. in a table) and returns early while it is not due.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from datetime import timedelta

from .db.queries import approval_failures, auth_failures
from .healing import janitor, scheduled
from .observability.metrics import count_housekeeping
from .payments import refunds, schedules, webhooks
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


def purge_auth_failures(runtime: Runtime) -> None:
    """Forget failed password checks older than the throttle's window: they never count again."""
    window = timedelta(seconds=runtime.settings.auth_failures_window_s)
    with runtime.database.transaction() as session:
        auth_failures.purge(session, runtime.clock() - window)


# The console's overview shows the last day; a week leaves room for a look back.
APPROVAL_FAILURES_KEPT = timedelta(days=7)


def purge_approval_failures(runtime: Runtime) -> None:
    """Forget refused approvals older than `APPROVAL_FAILURES_KEPT`."""
    with runtime.database.transaction() as session:
        approval_failures.purge(session, runtime.clock() - APPROVAL_FAILURES_KEPT)


JOBS: tuple[Job, ...] = (
    # Schedules' periods that fell due (and declined ones due again), each charged once.
    schedules.charge_due,
    # Refunds whose gateway call timed out, settled from the gateway's truth.
    refunds.settle_all,
    # Gateway events left as a note that nobody took up (the process to fetch them died).
    webhooks.resume_requested,
    # Signed inbound webhook ids past their signature's tolerance, past budget windows.
    webhooks.purge_inbound,
    # Records in doubt re-checked with their gateway on a backoff schedule, findings raised for
    # those that stay in doubt (healing/janitor.py); unknown refunds are settled above at once
    # and every round while the gateway does not answer, the janitor keeps their schedule.
    janitor.run_janitor,
    # PAYMENT_RECONCILE_EVERY: each listing vendor reconciled once a period (healing/scheduled.py).
    scheduled.reconcile_due,
    purge_idempotency_keys,
    purge_auth_failures,
    purge_approval_failures,
)


def run_jobs(runtime: Runtime, jobs: Iterable[Job] = JOBS) -> dict[str, bool]:
    """Run each job once; return whether each succeeded, by name."""
    done: dict[str, bool] = {}
    for job in jobs:
        name = getattr(job, "__name__", repr(job))
        try:
            job(runtime)
            done[name] = True
        except Exception:
            # A database hiccup must not stop the housekeeper: the next round tries again.
            log.exception("housekeeping job %s failed", name)
            done[name] = False
        count_housekeeping(name, "ok" if done[name] else "error")
    return done


class Housekeeper:
    """A daemon thread running `jobs` every `interval_s` (the housekeeper role's loop; the test
    kit runs one inside its process)."""

    def __init__(
        self,
        runtime: Runtime,
        interval_s: float | None = None,
        jobs: Iterable[Job] = JOBS,
        name: str = "housekeeper",
    ):
        self.runtime = runtime
        self.interval_s = interval_s or runtime.settings.housekeeping_interval_s
        self.jobs = tuple(jobs)
        self.rounds = 0
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def start(self) -> Housekeeper:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def run_once(self) -> dict[str, bool]:
        done = run_jobs(self.runtime, self.jobs)
        self.rounds += 1
        return done

    def _loop(self) -> None:
        while not self._stopped.wait(self.interval_s):
            self.run_once()

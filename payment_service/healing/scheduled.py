"""Reconciliation on a schedule (`PAYMENT_RECONCILE_EVERY`), run by the housekeeper.

Every vendor that can list its payments is reconciled once per period over the window since
its last successful run, reaching `OVERLAP` further back (a payment listed late, or at the
edge, is still seen), with drift repaired (the service gets its webhooks) and every finding
stored; an orphan is reported once it is `ORPHAN_GRACE` old. A row per vendor
(`payment_reconcile_runs`) holds the end of the last window and the lease of the run under way,
taken in a short transaction: however many housekeepers there are, one runs a vendor's
reconciliation at a time, and a period is reconciled once.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from ..db.queries import reconcile_runs
from ..observability.metrics import count_reconcile_run
from ..payments.reconcile import reconcile
from ..runtime import Runtime
from . import findings

log = logging.getLogger(__name__)

ACTOR = "housekeeper"
# How far each window reaches back before the end of the previous one.
OVERLAP = timedelta(minutes=10)
# Longer than a reconciliation takes: a housekeeper that died mid-run holds a vendor this long.
# An orphan paid less than this before the window's end is not reported yet (its service may be
# registering it right now); kept below OVERLAP, so the next window still holds it.
ORPHAN_GRACE = timedelta(minutes=5)
RUN_LEASE = timedelta(hours=1)
RETRY_AFTER_FAILURE = timedelta(minutes=5)


def reconcile_due(runtime: Runtime) -> int:
    """Reconcile each listing vendor whose period has passed; return how many ran."""
    every = runtime.settings.reconcile_every
    if every is None:
        return 0
    ran = 0
    for code in runtime.vendors.codes:
        if not runtime.vendors.get(code).can_list:
            continue
        runner = str(uuid.uuid4())
        window = _take(runtime, code, every, runner)
        if window is None:
            continue
        since, until = window
        try:
            report = reconcile(runtime, code, since, until, repair=True)
            # Paid moments ago, it may be on its way to being registered: the next run (its
            # window overlaps this one by more than the grace) reports it if it stays orphaned.
            young = until - ORPHAN_GRACE
            report.orphans = [o for o in report.orphans if o.paid_at and o.paid_at <= young]
            findings.store_report(runtime, report, found_by="schedule", actor=ACTOR)
        except Exception:
            log.exception("scheduled reconciliation of %s failed", code)
            _finish(runtime, code, runner, None)
            count_reconcile_run(code, "error")
            continue
        _finish(runtime, code, runner, until)
        count_reconcile_run(code, "ok")
        ran += 1
    return ran


def _take(
    runtime: Runtime, code: str, every: timedelta, runner: str
) -> tuple[datetime, datetime] | None:
    """The window to reconcile now, with the vendor's lease taken; None if not due or another
    housekeeper runs it."""
    now = runtime.clock()
    with runtime.database.transaction() as session:
        row = reconcile_runs.locked(session, code)
        if row.running_until is not None and row.running_until > now:
            return None
        if row.last_success_at is not None and now < row.last_success_at + every:
            return None
        start = row.last_until if row.last_until is not None else now - every
        row.running_until, row.running_by = now + RUN_LEASE, runner
        return start - OVERLAP, now


def _finish(runtime: Runtime, code: str, runner: str, until: datetime | None) -> None:
    """Release the lease; on success (`until` given) the next window starts there."""
    now = runtime.clock()
    with runtime.database.transaction() as session:
        row = reconcile_runs.locked(session, code)
        if row.running_by != runner:
            return  # our lease ran out and another housekeeper took the vendor over
        row.running_until, row.running_by = None, None
        if until is not None:
            row.last_until, row.last_success_at, row.last_outcome = until, now, "ok"
        else:
            # Failed (the gateway's list, most likely): try again after a pause, not every
            # round; the window still starts where the last success ended.
            row.running_until, row.last_outcome = now + RETRY_AFTER_FAILURE, "error"

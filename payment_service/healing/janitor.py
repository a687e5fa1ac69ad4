"""The janitor: finds every record in doubt and re-checks it with its gateway on a schedule.

In doubt are:

* a **claim** older than `histories.CLAIM_TIMEOUT`: a registration whose approval had an
  unknown outcome (a timeout) and that no retry finished;
* a **refund** of unknown outcome (`payment_history_pending_refunds` past `expires_at`);
* a **payment** the gateway still awaits (a virtual account: `due_at` set) that is past due,
  or whose gateway record was not read for longer than the gateway retries its webhooks
  (`Vendor.webhook_retry_window`): its webhook may be lost for good.

Each is checked as soon as it is found (a claim one delay later: its owner's retry may finish
it), then again after each delay of `PAYMENT_JANITOR_SCHEDULE` (default 5m, 1h, 1d, 1d, 1d).
A payment or refund is settled through the inbound webhooks' own synchronisation
(`webhooks.synchronize`), so the calling service gets its webhook; a claim the gateway paid is
recorded as the registration would have recorded it (and reported with a webhook), one the
gateway did not charge is released. Still in doubt after the last delay, the record is raised
as a `janitor-gave-up` finding.

Two housekeepers may run this at once: a check is taken (its `next_check_at` pushed ahead, in
a short transaction) before the gateway is asked, and never in a transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ..db import JanitorCheck
from ..db.queries import claims
from ..db.queries import findings as stored_findings
from ..db.queries import janitor as queries
from ..delivery.outbox import enqueue
from ..errors import ServiceError, Unavailable
from ..observability.metrics import count_janitor_check
from ..payments.histories import CLAIM_TIMEOUT
from ..payments.sync import apply_summary
from ..payments.views import history_view, iso
from ..payments.webhooks import synchronize
from ..runtime import Runtime
from ..vendors import GatewayError, GatewayRejected, UnknownVendor, WebhookNotice
from . import store

log = logging.getLogger(__name__)

ACTOR = "janitor"
# Longer than any check takes (a fetch and a record): a housekeeper that died mid-check only
# delays that record's next check by this much.
CHECK_LEASE = timedelta(minutes=2)


@dataclass(frozen=True)
class Checked:
    """What one check found: `settled` (no longer in doubt), `in_doubt`, `busy` (another
    process is synchronising the payment: try next round) or `error`; and why."""

    outcome: str
    detail: str


@dataclass
class Round:
    """What one run of the janitor did."""

    found: int = 0
    checked: int = 0
    settled: int = 0
    gave_up: int = 0
    errors: int = 0


def run_janitor(runtime: Runtime) -> Round:
    """One round: track what is in doubt now, forget what no longer is, check what is due."""
    now = runtime.clock()
    result = Round()
    found = _find(runtime, now)
    result.found = len(found.doubts)
    _track(runtime, found, now)
    with runtime.database.reading() as session:
        due = queries.due(session, now)
    for check_id in due:
        taken = _take(runtime, check_id, now)
        if taken is None:
            continue  # another housekeeper has it, or it was settled meanwhile
        try:
            checked = check(runtime, taken)
        except Exception as error:  # a bug or a malformed answer: counted, the round goes on
            log.exception("janitor: checking %s %s failed", taken.kind, taken.record_id)
            checked = Checked("error", f"the check failed: {type(error).__name__}")
        outcome = _finish(runtime, check_id, checked, now)
        result.checked += 1
        result.settled += outcome == "settled"
        result.gave_up += outcome == "gave_up"
        result.errors += outcome == "error"
    return result


@dataclass(frozen=True)
class Found:
    doubts: dict[tuple[str, str], queries.Doubt]
    partial: frozenset[str]
    """Kinds whose list was cut at `queries.LIMIT`: their absent records may still be in doubt."""


def _find(runtime: Runtime, now: datetime) -> Found:
    lists: list[list[queries.Doubt]] = []
    with runtime.database.reading() as session:
        lists.append(queries.abandoned_claims(session, now - CLAIM_TIMEOUT))
        lists.append(queries.unknown_refunds(session, now))
        for code in runtime.vendors.codes:
            window = runtime.vendors.get(code).webhook_retry_window
            lists.append(queries.awaited_payments(session, code, now, now - window))
    partial = frozenset(found[0].kind for found in lists if len(found) >= queries.LIMIT)
    doubts = {(d.kind, d.record_id): d for found in lists for d in found}
    return Found(doubts, partial)


def _track(runtime: Runtime, found: Found, now: datetime) -> None:
    """Start tracking new doubts; forget records no longer in doubt (settled by a request, a
    webhook or a person), closing the janitor's finding about them if it had given up."""
    doubts = found.doubts
    with runtime.database.reading() as session:
        keys = {(c.kind, c.record_id) for c in queries.tracked(session)}
    if keys == set(doubts):
        return  # nothing to change: no write transaction (SQLite's lock) this round
    with runtime.database.transaction() as session:
        tracked = {(c.kind, c.record_id): c for c in queries.tracked(session)}
        gone = [
            check
            for key, check in tracked.items()
            if key not in doubts and check.kind not in found.partial
        ]
        for check in gone:
            if check.gave_up_at is not None:
                for finding in stored_findings.open_of_record(
                    session, "janitor-gave-up", check.record_id
                ):
                    store.close(
                        session, finding, "repaired", ACTOR, "no longer in doubt (settled)", now
                    )
        queries.forget(session, [check.id for check in gone])
        for key, doubt in doubts.items():
            if key not in tracked:
                queries.track(session, doubt, _first_check(runtime, doubt, now))


def _first_check(runtime: Runtime, doubt: queries.Doubt, now: datetime) -> datetime:
    """At once, but for a claim: its owner may still retry the registration and finish it
    (taking the claim over), so the janitor leaves it that one first step of the schedule."""
    if doubt.kind == "claim":
        return now + runtime.settings.janitor_schedule[0]
    return now


@dataclass(frozen=True)
class Taken:
    id: str
    kind: str
    record_id: str
    vendor_code: str
    vendor_uid: str


def _take(runtime: Runtime, check_id: str, now: datetime) -> Taken | None:
    with runtime.database.transaction() as session:
        row = queries.locked(session, check_id)
        if row is None or row.gave_up_at is not None or row.next_check_at > now:
            return None
        row.next_check_at = now + CHECK_LEASE
        return Taken(row.id, row.kind, row.record_id, row.vendor_code, row.vendor_uid)


def _finish(runtime: Runtime, check_id: str, checked: Checked, now: datetime) -> str:
    """Record a check's outcome and schedule the next; return the outcome counted."""
    schedule = runtime.settings.janitor_schedule
    with runtime.database.transaction() as session:
        row = queries.locked(session, check_id)
        if row is None:
            outcome = "settled"  # forgotten meanwhile: settled by someone else
        elif checked.outcome == "settled":
            session.delete(row)
            outcome = "settled"
        elif checked.outcome == "busy":
            row.next_check_at = now  # being synchronised right now: look again next round
            outcome = "busy"
        else:
            row.checks += 1
            row.last_checked_at = now
            row.last_outcome = checked.detail
            if row.checks > len(schedule):
                row.gave_up_at = now
                _give_up(session, row, now)
                outcome = "gave_up"
            else:
                row.next_check_at = now + schedule[row.checks - 1]
                outcome = checked.outcome
    if outcome != "busy":
        count_janitor_check(outcome)
    return outcome


def _give_up(session: Any, row: JanitorCheck, now: datetime) -> None:
    what = {
        "claim": "registration of unknown outcome",
        "refund": "refund of unknown outcome",
        "payment": "payment still awaited",
    }[row.kind]
    store.raise_finding(
        session,
        kind="janitor-gave-up",
        vendor_code=row.vendor_code,
        vendor_uid=row.vendor_uid,
        record_id=row.record_id,
        store_id=None,
        summary=f"{what}, still in doubt after {row.checks} checks: {row.last_outcome}",
        details={
            "record": row.kind,
            "record_id": row.record_id,
            "in_doubt_since": iso(row.in_doubt_since),
            "checks": row.checks,
            "last_outcome": row.last_outcome,
        },
        found_by=ACTOR,
        now=now,
    )


# -- one check ------------------------------------------------------------------------------


def check(runtime: Runtime, taken: Taken) -> Checked:
    """Ask the gateway about one record in doubt and settle it from the answer."""
    try:
        vendor = runtime.vendors.get(taken.vendor_code)
    except UnknownVendor:
        return Checked("error", f"vendor {taken.vendor_code!r} is not loaded")
    try:
        if taken.kind == "claim":
            return _check_claim(runtime, vendor, taken)
        return _check_payment(runtime, vendor, taken)
    except GatewayError as error:
        return Checked("error", f"the gateway could not answer: {error}")
    except Unavailable:
        # This process's gateway fetches for webhooks are all taken: not the record's fault.
        return Checked("busy", "too many synchronisations at once")
    except ServiceError as error:
        return Checked("error", error.message)


def check_now(runtime: Runtime, kind: str, record_id: str) -> Checked:
    """Check one record at once, whatever its schedule (a repair of a finding); forgets it
    when settled."""
    now = runtime.clock()
    with runtime.database.reading() as session:
        row = queries.of_record(session, kind, record_id)
        if row is None:
            return Checked("settled", "no longer in doubt")
        taken = Taken(row.id, row.kind, row.record_id, row.vendor_code, row.vendor_uid)
    checked = check(runtime, taken)
    if checked.outcome == "settled":
        with runtime.database.transaction() as session:
            queries.forget(session, [taken.id])
    else:
        with runtime.database.transaction() as session:
            locked = queries.locked(session, taken.id)
            if locked is not None:
                locked.last_checked_at, locked.last_outcome = now, checked.detail
    count_janitor_check(checked.outcome if checked.outcome != "busy" else "in_doubt")
    return checked


def _check_payment(runtime: Runtime, vendor: Any, taken: Taken) -> Checked:
    notice = WebhookNotice(taken.vendor_uid, "the janitor re-checks a record in doubt")
    event = {"type": "janitor", "record": taken.kind}
    outcome = synchronize(runtime, vendor, notice, event, coalesce=False)
    if outcome.status == "deferred":
        return Checked("busy", "being synchronised by another process")
    if outcome.status == "unknown":
        return Checked("settled", "the payment is no longer recorded")
    now = runtime.clock()
    with runtime.database.reading() as session:
        if taken.kind == "refund" and queries.refund_unknown(session, taken.record_id, now):
            return Checked("in_doubt", "a refund's outcome is still unknown")
        if taken.kind == "payment" and queries.past_due(session, taken.record_id, now):
            return Checked("in_doubt", "the gateway still awaits the payment past its due date")
    return Checked("settled", f"synchronised ({outcome.status})")


def _check_claim(runtime: Runtime, vendor: Any, taken: Taken) -> Checked:
    with runtime.database.reading() as session:
        claim = claims.get(session, taken.record_id)
        if claim is None:
            return Checked("settled", "the registration was finished or released meanwhile")
        store_id, uid, price, claimed_at = (
            claim.vendor_store_id,
            claim.vendor_uid,
            claim.price,
            claim.created_at,
        )
    try:
        payment = vendor.fetch_payment(store_id, uid)
    except GatewayRejected as error:
        if error.status != 404:
            raise
        return _release_claim(runtime, taken, claimed_at, "the gateway does not know it")
    summary = vendor.summarize(payment)
    refunded = sum((c.amount for c in summary.cancels), Decimal(0))
    charged = summary.paid_at is not None or summary.due_at is not None
    if not charged or refunded >= summary.price:
        return _release_claim(runtime, taken, claimed_at, "the gateway did not charge it")
    if summary.price != price:
        return Checked(
            "in_doubt", f"the gateway holds {summary.price}, the registration asked {price}"
        )
    return _confirm_claim(runtime, vendor, taken, claimed_at, payment)


def _release_claim(runtime: Runtime, taken: Taken, claimed_at: datetime, why: str) -> Checked:
    with runtime.database.transaction() as session:
        claim = claims.locked(session, taken.record_id)
        if claim is not None and claim.created_at != claimed_at:
            return Checked("busy", "a retry of the registration took it over")
        if claim is not None:
            claims.release(session, claim.id)
    log.info("janitor released claim %s (%s)", taken.record_id, why)
    return Checked("settled", f"released: {why}")


def _confirm_claim(
    runtime: Runtime, vendor: Any, taken: Taken, claimed_at: datetime, payment: dict[str, Any]
) -> Checked:
    """Record the payment the gateway approved, as the registration would have, and tell the
    service with a webhook (from the record as the claim held it, to the gateway's)."""
    keys = runtime.settings.keys
    now = runtime.clock()
    with runtime.database.transaction() as session:
        claim = claims.locked(session, taken.record_id)
        if claim is None:
            return Checked("settled", "the registration was finished or released meanwhile")
        if claim.created_at != claimed_at:
            return Checked("busy", "a retry of the registration took it over")
        row = claims.confirm(session, claim, now)
        session.flush()
        previous = history_view(row, keys.history)
        apply_summary(row, vendor.summarize(payment), payment, keys)
        row.synced_at = now
        session.flush()
        current = history_view(row, keys.history)
        enqueue(
            session,
            row,
            previous,
            current,
            {"type": "janitor", "record": "claim"},
            runtime.settings,
            now,
        )
    runtime.outbox_written()
    log.info("janitor recorded payment %s approved at the gateway", taken.record_id)
    return Checked("settled", "recorded: the gateway approved it")

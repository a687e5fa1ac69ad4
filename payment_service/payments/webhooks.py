"""Inbound gateway webhooks (docs/payment-api.md §4.7): re-fetch, re-synchronize, report the change.

The webhook body only says *which* payment to look at; what happened is read from the gateway
itself, so a forged or stale webhook can at worst trigger a harmless re-synchronization.
Events about payments we do not hold, and events that change nothing, are acknowledged
without error, or the gateway would keep retrying them.

Re-fetching is single-flight per payment, across processes: a lease on the payment's row
(taken and released in short transactions, never held during the call) lets one request at a
time ask the gateway. An event arriving while the lease is held only leaves a note, and the
holder fetches once more before letting go, so nothing reported is missed and a flood of
events about one payment costs one fetch at a time. Fetches in a process are also capped
(`SYNC_SLOTS`), so events about many payments cannot take every worker thread: beyond the cap
the gateway is answered 503 and sends the event again later.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from ..db import PaymentHistory
from ..db.queries import claims, histories, records
from ..errors import Conflict, NotFound, Unavailable
from ..runtime import Runtime
from ..vendors import Vendor, WebhookNotice
from .sync import record

log = logging.getLogger(__name__)

# Gateway fetches for inbound webhooks at once, per process (gunicorn runs 8 threads each).
SYNC_SLOTS = 4
# Fetches one request makes for events that arrived during its own fetch, before it leaves
# the rest to the next event.
MAX_ROUNDS = 3


@dataclass(frozen=True)
class Outcome:
    """What became of an inbound webhook: `webhook_id` is set when a change was reported."""

    status: str  # "changed", "unchanged", "ignored", "unknown", "deferred"
    webhook_id: str | None = None
    reason: str = ""


def _vendor(runtime: Runtime, webhook_name: str) -> Vendor:
    vendor = runtime.vendors.for_webhook(webhook_name)
    if vendor is None:
        raise NotFound(f"No vendor receives webhooks at {webhook_name!r}.")
    return vendor


def authenticate(
    runtime: Runtime, webhook_name: str, headers: Mapping[str, str], raw: bytes
) -> None:
    """Let the vendor refuse (401) a webhook it cannot prove to be its own, before parsing."""
    _vendor(runtime, webhook_name).verify_webhook(headers, raw)


def receive(runtime: Runtime, webhook_name: str, body: Any) -> Outcome:

    vendor = _vendor(runtime, webhook_name)
    notice = vendor.read_webhook(body)
    if notice.uid is None:
        return Outcome("ignored", reason=notice.reason)
    return synchronize(runtime, vendor, notice, body)


def synchronize(runtime: Runtime, vendor: Vendor, notice: WebhookNotice, body: Any) -> Outcome:
    """Bring the history of payment `notice.uid` in line with the gateway and, if that changed
    it, enqueue the webhook to the calling service (`body` is stored as the event's data).

    The one synchronisation of a stored payment with its gateway: inbound webhooks and
    `payment-service reconcile --repair` both come through here.
    """
    lease = _take_lease(runtime, vendor.code, notice.uid)
    if isinstance(lease, Outcome):
        return lease
    slots = _slots(runtime)
    if not slots.acquire(blocking=False):
        _let_go(runtime, lease, requested=True)
        raise Unavailable("Too many gateway webhooks at once; send this one again later.")
    try:
        return _synchronize(runtime, vendor, lease, body)
    finally:
        slots.release()


@dataclass(frozen=True)
class _Lease:
    history_id: str
    store_id: str
    uid: str


def _take_lease(runtime: Runtime, code: str, uid: str) -> _Lease | Outcome:
    with runtime.database.transaction() as session:
        row = records.by_vendor(session, PaymentHistory, code, uid, lock=True)
        if row is None:
            if claims.held(session, code, uid):
                # Being registered right now: what the event reports might land between the
                # approval and the record. Refuse, so that the gateway sends it again later.
                raise Conflict("This payment is being registered; send the webhook again later.")
            log.info("webhook for unknown %s payment %s ignored", code, uid)
            return Outcome("unknown", reason="no payment history with this uid")
        return _lease_row(runtime, row)


def _lease_row(runtime: Runtime, row: PaymentHistory) -> _Lease | Outcome:
    """Take the row's sync lease (the row is locked), or leave a note for its holder."""
    now = runtime.clock()
    if row.sync_lease_until is not None and row.sync_lease_until > now:
        # Someone is fetching it right now: they will fetch once more for this event.
        row.sync_requested_at = now
        return Outcome("deferred", reason="the payment is being synchronized already")
    row.sync_lease_until = now + _lease_length(runtime)
    row.sync_requested_at = None
    return _Lease(row.id, row.vendor_store_id, row.vendor_uid)


def resume_requested(runtime: Runtime, limit: int = 100) -> int:
    """Re-fetch payments whose events were left as a note nobody took up (the lease holder
    died, or the events kept coming beyond its rounds); return how many were re-fetched."""
    now = runtime.clock()
    with runtime.database.reading() as session:
        found = histories.sync_requested(session, now, limit)
    done = 0
    for history_id, code in found:
        try:
            vendor = runtime.vendors.get(code)
            with runtime.database.transaction() as session:
                row = histories.locked(session, history_id)
                lease = _lease_row(runtime, row) if row is not None else None
            if isinstance(lease, _Lease):
                _synchronize(runtime, vendor, lease, {"type": "sync"})
                done += 1
        except Exception as error:
            log.warning("re-fetching payment %s for pending events failed: %s", history_id, error)
    return done


def _synchronize(runtime: Runtime, vendor: Vendor, lease: _Lease, body: Any) -> Outcome:
    outcome = Outcome("unchanged")
    for _ in range(MAX_ROUNDS):
        fetched_at = runtime.clock()
        try:
            payment = vendor.fetch_payment(lease.store_id, lease.uid)
            recorded = record(
                runtime, lease.history_id, vendor, payment, body, fetched_at=fetched_at
            )
        except BaseException:
            _let_go(runtime, lease, requested=False)
            raise
        if recorded.webhook_id is not None:
            outcome = Outcome("changed", webhook_id=recorded.webhook_id)
        if not _let_go_unless_requested(runtime, lease):
            return outcome
    # Still asked for more: leave a note for whoever comes next, and stop here.
    _let_go(runtime, lease, requested=True)
    return outcome


def _let_go_unless_requested(runtime: Runtime, lease: _Lease) -> bool:
    """Release the lease, unless an event arrived during the fetch: then keep it (renewed),
    clear the note and say so (True), so that the holder fetches again."""
    now = runtime.clock()
    with runtime.database.transaction() as session:
        row = histories.locked(session, lease.history_id)
        if row is None:
            return False
        if row.sync_requested_at is not None:
            row.sync_requested_at = None
            row.sync_lease_until = now + _lease_length(runtime)
            return True
        row.sync_lease_until = None
        return False


def _let_go(runtime: Runtime, lease: _Lease, *, requested: bool) -> None:
    try:
        with runtime.database.transaction() as session:
            histories.let_go(session, lease.history_id, runtime.clock() if requested else None)
    except Exception:
        # The lease runs out by itself.
        log.exception("could not release the sync lease of payment %s", lease.history_id)


def _lease_length(runtime: Runtime) -> timedelta:
    # Longer than any fetch can take (its deadline, twice for a vendor that needs a token),
    # so a live holder never loses it; a dead holder's lease simply runs out.
    return timedelta(seconds=2 * runtime.settings.vendor_timeout_s + 5)


_slot_lock = threading.Lock()


def _slots(runtime: Runtime) -> threading.BoundedSemaphore:
    with _slot_lock:
        slots = getattr(runtime, "_inbound_sync_slots", None)
        if slots is None:
            slots = threading.BoundedSemaphore(SYNC_SLOTS)
            runtime._inbound_sync_slots = slots  # type: ignore[attr-defined]
        return slots

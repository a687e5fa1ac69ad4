"""Inbound gateway webhooks (docs/payment-api.md §4.7): re-fetch, re-synchronize, report the change.

The webhook body only says *which* payment to look at; what happened is read from the gateway
itself, so a forged or stale webhook can at worst trigger a harmless re-synchronization.
Events about payments we do not hold, and events that change nothing, are acknowledged
without error, or the gateway would keep retrying them.

What one webhook may cost is bounded, across every process (the state is in the database):

* **Re-fetches are coalesced per payment.** A lease on the payment's row (taken and released
  in short transactions, never held during the call) lets one request at a time ask the
  gateway, and a fetch begins at least `PAYMENT_WEBHOOK_REFETCH_INTERVAL_S` after the previous
  one began (`sync_fetched_at`). An event arriving during a fetch or within that interval only
  leaves a note (`sync_requested_at`); one trailing fetch takes the note up once the interval
  has passed — scheduled in this process by whoever saw the note first (or by the fetch's
  holder), and by the housekeeper (`resume_requested`) should that process die. So a flood of
  events about one payment costs at most one fetch in flight and one trailing per interval,
  and the last event is always followed by a fetch that began after it.
* **Signed deliveries are remembered.** A vendor that signs each delivery with an id
  (`SignedDelivery`: Standard Webhooks' `webhook-id`) has the id kept until its signature
  would be too old: a replay is answered 201 without a fetch. (An id whose handling failed is
  forgotten, so the gateway's own retry is handled.)
* **Each vendor has a budget** of `PAYMENT_WEBHOOK_INBOUND_PER_MINUTE` webhooks per minute,
  all processes together; beyond it the gateway is answered 429 and sends the event later.
* Fetches in a process are also capped (`SYNC_SLOTS`), so events about many payments cannot
  take every worker thread: beyond the cap the gateway is answered 503.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError

from ..db import PaymentHistory
from ..db.queries import claims, histories, inbound, records
from ..errors import Conflict, NotFound, TooManyWebhooks, Unavailable
from ..runtime import Runtime
from ..vendors import SignedDelivery, Vendor, WebhookNotice
from .sync import record

log = logging.getLogger(__name__)

# Gateway fetches for inbound webhooks at once, per process (gunicorn runs 8 threads each).
SYNC_SLOTS = 4
# Trailing fetches one process keeps scheduled at once; beyond, the housekeeper takes the notes
# up (a flood about that many payments is past any vendor's budget long before).
MAX_TRAILING = 256
BUDGET_WINDOW = timedelta(minutes=1)
# How long a trailing fetch waits when every fetch slot of the process is taken.
RETRY_BUSY = timedelta(seconds=1)
# The data of the outgoing webhook a trailing fetch reports (it answers several events).
TRAILING_EVENT = {"type": "sync"}


@dataclass(frozen=True)
class Outcome:
    """What became of an inbound webhook: `webhook_id` is set when a change was reported."""

    status: str  # "changed", "unchanged", "ignored", "unknown", "deferred", "replayed"
    webhook_id: str | None = None
    reason: str = ""


def _vendor(runtime: Runtime, webhook_name: str) -> Vendor:
    vendor = runtime.vendors.for_webhook(webhook_name)
    if vendor is None:
        raise NotFound(f"No vendor receives webhooks at {webhook_name!r}.")
    return vendor


def authenticate(
    runtime: Runtime, webhook_name: str, headers: Mapping[str, str], raw: bytes
) -> SignedDelivery | None:
    """Let the vendor refuse (401) a webhook it cannot prove to be its own, before parsing;
    the delivery's identity when the vendor signs one."""
    return _vendor(runtime, webhook_name).verify_webhook(headers, raw)


def admit(runtime: Runtime, webhook_name: str) -> None:
    """Count the webhook against its vendor's budget for this minute; 429 past it."""
    limit = runtime.settings.webhook_inbound_per_minute
    if limit <= 0:
        return
    code = _vendor(runtime, webhook_name).code
    now = runtime.clock()
    window = _window_start(now)
    used = _spend(runtime, code, window)
    if used > limit:
        retry_after = max(1, int((window + BUDGET_WINDOW - now).total_seconds() + 0.999))
        raise TooManyWebhooks(code, retry_after)


def _window_start(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0)


def _spend(runtime: Runtime, code: str, window: datetime) -> int:
    for _ in range(3):
        with runtime.database.transaction() as session:
            used = inbound.spend(session, code, window)
        if used is not None:
            return used
        try:
            with runtime.database.transaction() as session:
                inbound.open_window(session, code, window)
            return 1
        except IntegrityError:
            continue  # another process opened the window first: count in it
    raise Unavailable("The webhook budget could not be counted; send this one again later.")


def receive(
    runtime: Runtime, webhook_name: str, body: Any, delivery: SignedDelivery | None = None
) -> Outcome:
    vendor = _vendor(runtime, webhook_name)
    notice = vendor.read_webhook(body)
    if notice.uid is None:
        return Outcome("ignored", reason=notice.reason)
    if delivery is None:
        return synchronize(runtime, vendor, notice, body)
    digest = hashlib.sha256(delivery.id.encode("utf-8", "surrogatepass")).hexdigest()
    if not _first_delivery(runtime, vendor.code, digest, delivery.expires_at):
        log.info("replayed %s webhook %s answered without a re-fetch", vendor.code, delivery.id)
        return Outcome("replayed", reason="this signed delivery was received already")
    try:
        return synchronize(runtime, vendor, notice, body)
    except BaseException:
        # Not handled: the gateway sends it again, with the same id, and that must be handled.
        _forget_delivery(runtime, vendor.code, digest)
        raise


def _first_delivery(runtime: Runtime, code: str, digest: str, expires_at: datetime) -> bool:
    try:
        with runtime.database.transaction() as session:
            inbound.remember(session, code, digest, expires_at, runtime.clock())
    except IntegrityError:
        return False
    return True


def _forget_delivery(runtime: Runtime, code: str, digest: str) -> None:
    try:
        with runtime.database.transaction() as session:
            inbound.forget(session, code, digest)
    except Exception:
        log.exception("could not forget %s webhook %s", code, digest)


def synchronize(
    runtime: Runtime, vendor: Vendor, notice: WebhookNotice, body: Any, *, coalesce: bool = True
) -> Outcome:
    """Bring the history of payment `notice.uid` in line with the gateway and, if that changed
    it, enqueue the webhook to the calling service (`body` is stored as the event's data).

    The one synchronisation of a stored payment with its gateway: inbound webhooks and
    `payment-service reconcile --repair` both come through here (the latter with
    `coalesce=False`: an operator's repair does not wait out the interval, only a fetch in
    flight).
    """
    lease = _take_lease(runtime, vendor.code, notice.uid, coalesce)
    if isinstance(lease, _Trailing):
        _trailing(runtime).schedule(lease)
        return Outcome("deferred", reason="the payment was re-fetched moments ago")
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
    code: str
    store_id: str
    uid: str


@dataclass(frozen=True)
class _Trailing:
    """A trailing fetch to schedule: the payment's note, to take up at `due`."""

    history_id: str
    code: str
    due: datetime


def _take_lease(
    runtime: Runtime, code: str, uid: str, coalesce: bool
) -> _Lease | _Trailing | Outcome:
    with runtime.database.transaction() as session:
        row = records.by_vendor(session, PaymentHistory, code, uid, lock=True)
        if row is None:
            if claims.held(session, code, uid):
                # Being registered right now: what the event reports might land between the
                # approval and the record. Refuse, so that the gateway sends it again later.
                raise Conflict("This payment is being registered; send the webhook again later.")
            log.info("webhook for unknown %s payment %s ignored", code, uid)
            return Outcome("unknown", reason="no payment history with this uid")
        return _lease_row(runtime, row, coalesce=coalesce)


def _interval(runtime: Runtime) -> timedelta:
    return timedelta(seconds=runtime.settings.webhook_refetch_interval_s)


def _lease_row(
    runtime: Runtime, row: PaymentHistory, *, coalesce: bool = True
) -> _Lease | _Trailing | Outcome:
    """Take the row's sync lease (the row is locked), or leave a note: for the lease's holder
    (who schedules the trailing fetch when it lets go), or, within the interval after the last
    fetch, for a trailing fetch (`_Trailing`: the caller schedules it, being the first to note).
    """
    now = runtime.clock()
    if row.sync_lease_until is not None and row.sync_lease_until > now:
        row.sync_requested_at = now
        return Outcome("deferred", reason="the payment is being synchronized already")
    due = row.sync_fetched_at + _interval(runtime) if row.sync_fetched_at else None
    if coalesce and due is not None and due > now:
        first = row.sync_requested_at is None
        row.sync_requested_at = now
        if first:
            return _Trailing(row.id, row.vendor_code, due)
        return Outcome("deferred", reason="a trailing re-fetch is scheduled already")
    row.sync_lease_until = now + _lease_length(runtime)
    row.sync_requested_at = None
    row.sync_fetched_at = now
    return _Lease(row.id, row.vendor_code, row.vendor_store_id, row.vendor_uid)


def resume_requested(runtime: Runtime, limit: int = 100) -> int:
    """Re-fetch payments whose events were left as a note nobody took up (the process that
    was to fetch them died); return how many were re-fetched."""
    now = runtime.clock()
    with runtime.database.reading() as session:
        found = histories.sync_requested(session, now, now - _interval(runtime), limit)
    done = 0
    slots = _slots(runtime)
    for history_id, code in found:
        if not slots.acquire(blocking=False):
            break  # this process's fetches are all taken: the next round goes on
        try:
            vendor = runtime.vendors.get(code)
            with runtime.database.transaction() as session:
                row = histories.locked(session, history_id)
                lease = _lease_row(runtime, row) if row is not None else None
            if isinstance(lease, _Lease):
                _synchronize(runtime, vendor, lease, TRAILING_EVENT)
                done += 1
            elif isinstance(lease, _Trailing):
                _trailing(runtime).schedule(lease)
        except Exception as error:
            log.warning("re-fetching payment %s for pending events failed: %s", history_id, error)
        finally:
            slots.release()
    return done


def _synchronize(runtime: Runtime, vendor: Vendor, lease: _Lease, body: Any) -> Outcome:
    fetched_at = runtime.clock()
    try:
        payment = vendor.fetch_payment(lease.store_id, lease.uid)
        recorded = record(runtime, lease.history_id, vendor, payment, body, fetched_at=fetched_at)
    finally:
        _let_go(runtime, lease, requested=False)
    if recorded.webhook_id is not None:
        return Outcome("changed", webhook_id=recorded.webhook_id)
    return Outcome("unchanged")


def _let_go(runtime: Runtime, lease: _Lease, *, requested: bool) -> None:
    """Release the lease (noting an event if `requested`); when an event is noted, schedule the
    trailing fetch that takes it up once the interval after this fetch has passed."""
    try:
        with runtime.database.transaction() as session:
            row = histories.locked(session, lease.history_id)
            if row is None:
                return
            row.sync_lease_until = None
            if requested:
                row.sync_requested_at = runtime.clock()
            if row.sync_requested_at is None:
                return
            due = (row.sync_fetched_at or runtime.clock()) + _interval(runtime)
    except Exception:
        # The lease runs out by itself, and the housekeeper takes the note up.
        log.exception("could not release the sync lease of payment %s", lease.history_id)
        return
    _trailing(runtime).schedule(_Trailing(lease.history_id, lease.code, due))


def _lease_length(runtime: Runtime) -> timedelta:
    # Longer than any fetch can take (its deadline, twice for a vendor that needs a token),
    # so a live holder never loses it; a dead holder's lease simply runs out.
    return timedelta(seconds=2 * runtime.settings.vendor_timeout_s + 5)


class TrailingFetches:
    """The trailing fetches this process has scheduled: one timer per payment, firing when the
    interval after the payment's last fetch has passed."""

    def __init__(self, runtime: Runtime):
        self.runtime = runtime
        self._lock = threading.Lock()
        self._pending: set[str] = set()

    def schedule(self, trailing: _Trailing) -> None:
        with self._lock:
            if trailing.history_id in self._pending or len(self._pending) >= MAX_TRAILING:
                return  # already due here, or left to the housekeeper
            self._pending.add(trailing.history_id)
        wait = (trailing.due - self.runtime.clock()).total_seconds()
        # Never much longer than the interval, whatever another machine's clock wrote.
        wait = min(max(wait, 0.0), max(self.runtime.settings.webhook_refetch_interval_s, 1.0))
        timer = threading.Timer(wait, self._fire, (trailing,))
        timer.daemon = True
        timer.start()

    def _fire(self, trailing: _Trailing) -> None:
        with self._lock:
            self._pending.discard(trailing.history_id)
        slots = _slots(self.runtime)
        if not slots.acquire(blocking=False):
            # The process's fetches are all taken (a gateway hangs): try again a little later.
            later = self.runtime.clock() + max(_interval(self.runtime), RETRY_BUSY)
            self.schedule(_Trailing(trailing.history_id, trailing.code, later))
            return
        try:
            self._fetch(trailing)
        except Exception as error:
            # The note stays: the housekeeper takes it up.
            log.warning("trailing re-fetch of payment %s failed: %s", trailing.history_id, error)
        finally:
            slots.release()

    def _fetch(self, trailing: _Trailing) -> None:
        runtime = self.runtime
        with runtime.database.transaction() as session:
            row = histories.locked(session, trailing.history_id)
            if row is None or row.sync_requested_at is None:
                return  # someone fetched since the note was left
            now = runtime.clock()
            if row.sync_lease_until is not None and row.sync_lease_until > now:
                return  # in flight: its holder schedules what follows
            due = row.sync_fetched_at + _interval(runtime) if row.sync_fetched_at else None
            if due is not None and due > now:
                lease: _Lease | None = None
            else:
                row.sync_lease_until = now + _lease_length(runtime)
                row.sync_requested_at = None
                row.sync_fetched_at = now
                lease = _Lease(row.id, row.vendor_code, row.vendor_store_id, row.vendor_uid)
        if lease is None:  # fired early (clocks differ): wait the rest
            self.schedule(_Trailing(trailing.history_id, trailing.code, due or now))
            return
        _synchronize(runtime, runtime.vendors.get(trailing.code), lease, TRAILING_EVENT)


_slot_lock = threading.Lock()


def _slots(runtime: Runtime) -> threading.BoundedSemaphore:
    with _slot_lock:
        slots = getattr(runtime, "_inbound_sync_slots", None)
        if slots is None:
            slots = threading.BoundedSemaphore(SYNC_SLOTS)
            runtime._inbound_sync_slots = slots  # type: ignore[attr-defined]
        return slots


def _trailing(runtime: Runtime) -> TrailingFetches:
    with _slot_lock:
        trailing = getattr(runtime, "_trailing_fetches", None)
        if trailing is None:
            trailing = TrailingFetches(runtime)
            runtime._trailing_fetches = trailing  # type: ignore[attr-defined]
        return trailing


def purge_inbound(runtime: Runtime) -> None:
    """Forget signed webhook ids whose signatures have expired, and past budget windows."""
    now = runtime.clock()
    with runtime.database.transaction() as session:
        inbound.purge(session, now, _window_start(now))

"""Delivering the outbox: claim due rows through the database, POST them, record every attempt.

Any number of processes (gunicorn workers, machines) run a dispatcher over one database. A row
is claimed by writing a lease (`claimed_until`) in a transaction that locked it — PostgreSQL
with `FOR UPDATE SKIP LOCKED`, SQLite under its database-wide write lock — so no two
dispatchers send a row at the same time; a dispatcher that dies simply lets its lease run out.

Order per payment: a row is due only when no older row of the same payment is still pending,
so a service never learns a newer state before an older one.

Hostile receivers: each attempt has one overall deadline and a capped read (`sender`), and a
process sends to one receiver (scheme, host and port) from at most `host_limit` threads at a
time (by default all but one): rows for a busy receiver are not claimed, so a slow receiver
delays only its own webhooks while the other threads keep delivering everyone else's.
"""

from __future__ import annotations

import itertools
import logging
import os
import random
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from ..db import (
    PaymentHistory,
    PaymentHistoryWebhook,
    PaymentSchedule,
)
from ..db.queries import outbox
from ..observability import request_ids
from ..observability.metrics import count_delivery
from ..payments.views import iso
from ..runtime import Runtime
from . import sender
from .payload import build_request
from .sender import MAX_STORED_BODY, Attempt

log = logging.getLogger(__name__)

__all__ = ["MAX_STORED_BODY", "Attempt", "Dispatcher", "backoff", "counts", "receiver_key"]


@dataclass(frozen=True)
class Prepared:
    """A claimed webhook's request, ready to send."""

    webhook_id: str
    url: str
    body: str
    headers: dict[str, str]
    attempts: int
    deadline_at: datetime
    request_id: str | None = None


def receiver_key(url: str) -> str:
    """The part of a webhook_url that names its receiver, exactly as written in the URL
    (`scheme://host:port`), so that rows can be matched against it by prefix in SQL."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    return f"{parts.scheme}://{parts.netloc}"


def backoff(attempts: int, base_s: float, max_s: float, rng: random.Random) -> float:
    """Exponential backoff with equal jitter: half fixed, half random, capped at `max_s`."""
    delay = min(max_s, base_s * 2 ** max(attempts - 1, 0))
    return delay / 2 + rng.uniform(0, delay / 2)


class Dispatcher:
    """`workers` threads, each claiming one due webhook at a time, sending and recording it.

    Idle threads sleep until `wake()` (a change was committed in this process) or until the
    poll interval passes (changes committed by other processes, retries falling due).
    """

    def __init__(self, runtime: Runtime, *, name: str | None = None):
        self.runtime = runtime
        self.config = runtime.settings.webhooks
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._signal = threading.Condition()
        self._generation = 0
        self._stopped = False
        self._threads: list[threading.Thread] = []
        self._rng = random.Random()
        self._count = itertools.count(1)
        self._busy: Counter[str] = Counter()
        self._busy_lock = threading.Lock()
        self._found_nothing: frozenset[str] | None = None
        """The receivers skipped by the last claim that found nothing due: until a new
        webhook is announced (`wake`) or a claim finds a row of another receiver, a claim
        skipping at least those would find nothing either, so no thread is woken to try
        (guarded by `_busy_lock`)."""
        self.attempted = 0
        """Delivery attempts this dispatcher made (for reports; not shared between processes)."""

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Dispatcher:
        if not self._threads:
            for number in range(self.config.workers):
                thread = threading.Thread(
                    target=self._work,
                    args=(number == 0,),
                    name=f"webhook-delivery-{number}",
                    daemon=True,
                )
                thread.start()
                self._threads.append(thread)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the deliveries in flight (claimed rows not yet sent keep their lease)."""
        with self._signal:
            self._stopped = True
            self._signal.notify_all()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(deadline - time.monotonic(), 0))
        self._threads.clear()

    def wake(self) -> None:
        """Look for due rows now instead of at the next poll.

        One idle thread looks, not all of them: a thread that claims a row wakes the next one
        (so a backlog still gets every thread), and a single new webhook costs one claim, not
        one per thread — the others would find it locked (SKIP LOCKED) or already leased, after
        a transaction each that the claim that matters waits behind for the CPU."""
        with self._busy_lock:
            self._found_nothing = None
        self._wake_one()

    def _wake_one(self) -> None:
        with self._signal:
            self._generation += 1
            self._signal.notify()

    def _work(self, polls: bool) -> None:
        """One delivery thread. Only the `polls` thread looks again after `poll_s` when idle
        (and wakes the others once it finds work): an idle process then queries the database
        once per interval, not once per thread."""
        held: str | None = None  # the receiver share kept while this thread looks again
        while True:
            with self._signal:
                if self._stopped:
                    return
                seen = self._generation
            try:
                claimed, more = self._claim_for_thread(held)
            except Exception:
                log.exception("claiming webhooks failed; retrying after the poll interval")
                claimed, more = [], False
            held = None
            if more:
                # More rows are due that an idle thread may take: let it, meanwhile (it wakes
                # the next one in turn if there are more still).
                self._wake_one()
            for prepared in claimed:
                try:
                    self._send(prepared)
                except Exception:
                    log.exception("delivering webhook %s failed", prepared.webhook_id)
                held = receiver_key(prepared.url)
            if claimed:
                # Delivering this row may have made the payment's next row due: this thread
                # looks again itself (no wake-up: that would cost another thread's claim too),
                # keeping its share of the receiver until then — so that meanwhile the share
                # does not look free, which would wake a thread for nothing.
                continue
            with self._signal:
                if not self._stopped and self._generation == seen:
                    self._signal.wait(self.config.poll_s if polls else None)

    # -- one pass, usable synchronously (tests, CLI) -----------------------------------------

    def run_once(self, limit: int = 100) -> int:
        """Claim and deliver due rows in this thread; return how many were attempted."""
        claimed = self._claim(limit)
        for prepared in claimed:
            self._send(prepared)
        return len(claimed)

    def claim(self, limit: int) -> list[str]:
        """Lease up to `limit` due webhooks to this dispatcher; return their ids."""
        return [request.webhook_id for request in self._claim(limit)]

    def _claim_for_thread(self, held: str | None = None) -> tuple[list[Prepared], bool]:
        """Claim one row whose receiver is not already served by `host_limit` threads of this
        process, and count it as busy (given back by the thread's next claim: `held`, the
        receiver whose share it kept since its last send, is released here, whatever happens).

        The claim runs outside the lock (threads claim in parallel); if meanwhile other threads
        filled that receiver's share, the lease is given back at once and nothing is sent.

        Also says whether another thread could take a row now: one more due row is read, and
        it counts if its receiver still has a free share — or, when it has none, unless a
        claim skipping that receiver already found nothing (`_found_nothing`): rows of other
        receivers may lie behind it, but a backlog for one receiver (after its outage, say)
        must not make each claim wake the thread that cannot serve it, whose claim then reads
        the whole backlog to find nothing again — a futile scan per delivered webhook."""
        try:
            with self._busy_lock:
                full = sorted(
                    key
                    for key, n in self._busy.items()
                    if n - (key == held) >= self.config.host_limit
                )
            claimed, upcoming = self._lease(1, full, look_ahead=1)
        finally:
            if held is not None:
                with self._busy_lock:
                    self._busy[held] -= 1
        kept: list[Prepared] = []
        with self._busy_lock:
            for prepared in claimed:
                key = receiver_key(prepared.url)
                if self._busy[key] < self.config.host_limit:
                    self._busy[key] += 1
                    kept.append(prepared)
            self._busy += Counter()  # drop receivers no longer in flight
            if not claimed:
                self._found_nothing = frozenset(full)
            elif self._found_nothing is not None and any(
                receiver_key(prepared.url) not in self._found_nothing for prepared in claimed
            ):
                self._found_nothing = None  # a retry fell due meanwhile: it was not nothing
            limit = self.config.host_limit
            full_now = {key for key, n in self._busy.items() if n >= limit}
            more = any(receiver_key(url) not in full_now for url in upcoming) or (
                bool(upcoming)
                and (self._found_nothing is None or not full_now >= self._found_nothing)
            )
        for prepared in claimed:
            if prepared not in kept:
                self._unclaim(prepared.webhook_id)
        return kept, more

    def _unclaim(self, webhook_id: str) -> None:
        with self.runtime.database.transaction() as session:
            outbox.unlease(session, webhook_id, self.name)

    def _claim(self, limit: int) -> list[Prepared]:
        """Lease due webhooks and build their requests, in one short transaction."""
        return self._lease(limit, [])[0]

    def _lease(
        self, limit: int, skip_receivers: list[str], *, look_ahead: int = 0
    ) -> tuple[list[Prepared], list[str]]:
        now = self.runtime.clock()
        lease_until = now + timedelta(seconds=self.config.lease_s)
        with self.runtime.database.transaction() as session:
            found, more = outbox.lease_due(
                session, now, limit, skip_receivers, lease_until, self.name, look_ahead=look_ahead
            )
            return [self._prepare(webhook, subject) for webhook, subject in found], more

    def _prepare(
        self, webhook: PaymentHistoryWebhook, subject: PaymentHistory | PaymentSchedule
    ) -> Prepared:
        sent_at = int(self.runtime.clock().timestamp())
        body, headers = build_request(webhook, subject, self.runtime.settings, sent_at)
        return Prepared(
            webhook.id,
            subject.webhook_url,
            body,
            headers,
            webhook.attempts,
            webhook.deadline_at,
            webhook.request_id,
        )

    def deliver(self, webhook_id: str) -> Attempt:
        """Send one webhook now, whatever its lease (tests, replays)."""
        with self.runtime.database.transaction() as session:
            found = outbox.with_payment(session, webhook_id)
            if found is None:
                raise LookupError(f"webhook {webhook_id} vanished")
            prepared = self._prepare(*found)
        return self._send(prepared)

    def _send(self, prepared: Prepared) -> Attempt:
        # Log lines of this delivery carry the id of the request that caused it.
        with request_ids.bound(prepared.request_id):
            attempt = self._post(prepared.url, prepared.body, prepared.headers)
            outcome = self._record(prepared, attempt)
            count_delivery(outcome)
        self.attempted = next(self._count)
        return attempt

    def _post(self, url: str, body: str, headers: dict[str, str]) -> Attempt:
        return sender.post(
            url,
            body.encode("ascii"),
            headers,
            policy=self.config.allowed_networks,
            timeout_s=self.config.timeout_s,
        )

    def _record(self, prepared: Prepared, attempt: Attempt) -> str:
        """Store the attempt and the webhook's next state, in one transaction; return the
        outcome (delivered, retry, failed).

        The update applies only while the row is still pending: if our lease ran out and
        another dispatcher settled it meanwhile, its verdict stands (the attempt is still kept).
        """
        now = self.runtime.clock()
        attempts = prepared.attempts + 1
        changes: dict[str, Any] = {
            "claimed_until": None,
            "claimed_by": None,
            "last_error": attempt.error,
        }
        if attempt.succeeded:
            changes.update(status="delivered", delivered_at=now)
            outcome = "delivered"
        else:
            outcome = "retry"
            delay = backoff(attempts, self.config.retry_base_s, self.config.retry_max_s, self._rng)
            upcoming = now + timedelta(seconds=delay)
            if attempt.permanent or upcoming > prepared.deadline_at:
                changes["status"] = "failed"
                outcome = "failed"
                log.warning(
                    "webhook %s failed for good after %d attempts: %s",
                    prepared.webhook_id,
                    attempts,
                    attempt.error,
                )
            else:
                changes["next_attempt_at"] = upcoming
        with self.runtime.database.transaction() as session:
            response = {
                "status": attempt.status,
                "body": attempt.body,
                "error": attempt.error,
                "duration_ms": attempt.duration_ms,
                "created_at": now,
            }
            outbox.record_attempt(session, prepared.webhook_id, response, changes)
        return outcome


def counts(runtime: Runtime) -> dict[str, Any]:
    """How many outgoing webhooks are in each state, and the oldest one still pending."""
    with runtime.database.reading() as session:
        by_status = outbox.by_status(session)
        oldest = outbox.oldest_pending(session)
    return {
        "pending": by_status.get("pending", 0),
        "delivered": by_status.get("delivered", 0),
        "failed": by_status.get("failed", 0),
        "oldest_pending_at": iso(oldest),
    }

"""Delivering the outbox: claim due rows through the database, POST them, record every attempt.

Any number of processes (gunicorn workers, machines) run a dispatcher over one database. A row
is claimed by writing a lease (`claimed_until`) in a transaction that locked it — PostgreSQL
with `FOR UPDATE SKIP LOCKED`, SQLite under its database-wide write lock — so no two
dispatchers send a row at the same time; a dispatcher that dies simply lets its lease run out.

Order per payment: a row is due only when no older row of the same payment is still pending,
so a service never learns a newer state before an older one.
"""

from __future__ import annotations

import itertools
import logging
import os
import random
import socket
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
from sqlalchemy import exists, or_, select, tuple_, update
from sqlalchemy.orm import aliased

from ..db import PaymentHistory, PaymentHistoryWebhook, PaymentHistoryWebhookResponse
from ..observability import request_ids
from ..observability.metrics import count_delivery
from ..runtime import Runtime
from .payload import build_request

log = logging.getLogger(__name__)

MAX_STORED_BODY = 64 * 1024


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


@dataclass(frozen=True)
class Attempt:
    status: int | None
    body: str | None
    error: str | None
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


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
        self._local = threading.local()
        self._rng = random.Random()
        self._count = itertools.count(1)
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
        """Look for due rows now instead of at the next poll."""
        with self._signal:
            self._generation += 1
            self._signal.notify_all()

    def _work(self, polls: bool) -> None:
        """One delivery thread. Only the `polls` thread looks again after `poll_s` when idle
        (and wakes the others once it finds work): an idle process then queries the database
        once per interval, not once per thread."""
        while True:
            with self._signal:
                if self._stopped:
                    return
                seen = self._generation
            try:
                claimed = self._claim(1)
            except Exception:
                log.exception("claiming webhooks failed; retrying after the poll interval")
                claimed = []
            if claimed:
                # There may be more due rows: let the idle threads look too, meanwhile.
                self.wake()
            for prepared in claimed:
                try:
                    self._send(prepared)
                except Exception:
                    log.exception("delivering webhook %s failed", prepared.webhook_id)
            if claimed:
                # Delivering this row may have made the payment's next row due.
                self.wake()
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

    def _claim(self, limit: int) -> list[Prepared]:
        """Lease due webhooks and build their requests, in one short transaction."""
        now = self.runtime.clock()
        row = PaymentHistoryWebhook
        older = aliased(PaymentHistoryWebhook)
        blocked = exists().where(
            older.payment_history_id == row.payment_history_id,
            older.status == "pending",
            tuple_(older.created_at, older.id) < tuple_(row.created_at, row.id),
        )
        query = (
            select(row, PaymentHistory)
            .join(PaymentHistory, PaymentHistory.id == row.payment_history_id)
            .where(
                row.status == "pending",
                row.next_attempt_at <= now,
                or_(row.claimed_until.is_(None), row.claimed_until < now),
                ~blocked,
            )
            .order_by(row.next_attempt_at, row.created_at)
            .limit(limit)
        )
        database = self.runtime.database
        if database.dialect == "postgresql":
            query = query.with_for_update(skip_locked=True, of=row)
        with database.transaction() as session:
            found = session.execute(query).all()
            if not found:
                return []
            session.execute(
                update(row)
                .where(row.id.in_([webhook.id for webhook, _ in found]))
                .values(
                    claimed_until=now + timedelta(seconds=self.config.lease_s),
                    claimed_by=self.name,
                )
            )
            return [self._prepare(webhook, history) for webhook, history in found]

    def _prepare(self, webhook: PaymentHistoryWebhook, history: PaymentHistory) -> Prepared:
        body, headers = build_request(webhook, history, self.runtime.settings, int(time.time()))
        return Prepared(
            webhook.id,
            history.webhook_url,
            body,
            headers,
            webhook.attempts,
            webhook.deadline_at,
            webhook.request_id,
        )

    def deliver(self, webhook_id: str) -> Attempt:
        """Send one webhook now, whatever its lease (tests, replays)."""
        with self.runtime.database.transaction() as session:
            webhook = session.get(PaymentHistoryWebhook, webhook_id)
            history = session.get(PaymentHistory, webhook.payment_history_id) if webhook else None
            if webhook is None or history is None:
                raise LookupError(f"webhook {webhook_id} vanished")
            prepared = self._prepare(webhook, history)
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
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        started = time.monotonic()
        try:
            response = session.post(
                url, data=body.encode("ascii"), headers=headers, timeout=self.config.timeout_s
            )
        except requests.RequestException as error:
            elapsed = int((time.monotonic() - started) * 1000)
            return Attempt(None, None, f"{type(error).__name__}: {error}"[:1000], elapsed)
        elapsed = int((time.monotonic() - started) * 1000)
        text = response.text[:MAX_STORED_BODY]
        error = None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
        return Attempt(response.status_code, text, error, elapsed)

    def _record(self, prepared: Prepared, attempt: Attempt) -> str:
        """Store the attempt and the webhook's next state, in one transaction; return the
        outcome (delivered, retry, failed).

        The update applies only while the row is still pending: if our lease ran out and
        another dispatcher settled it meanwhile, its verdict stands (the attempt is still kept).
        """
        now = self.runtime.clock()
        attempts = prepared.attempts + 1
        row = PaymentHistoryWebhook
        changes: dict[str, Any] = {
            "attempts": row.attempts + 1,
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
            if upcoming > prepared.deadline_at:
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
            session.add(
                PaymentHistoryWebhookResponse(
                    payment_history_webhook_id=prepared.webhook_id,
                    status=attempt.status,
                    body=attempt.body,
                    error=attempt.error,
                    duration_ms=attempt.duration_ms,
                    created_at=now,
                )
            )
            session.execute(
                update(row)
                .where(row.id == prepared.webhook_id, row.status == "pending")
                .values(**changes)
            )
        return outcome


def counts(runtime: Runtime) -> dict[str, Any]:
    """How many outgoing webhooks are in each state, and the oldest one still pending."""
    from sqlalchemy import func

    row = PaymentHistoryWebhook
    with runtime.database.reading() as session:
        by_status = dict(
            session.execute(select(row.status, func.count()).group_by(row.status)).all()
        )
        oldest: datetime | None = session.scalar(
            select(func.min(row.created_at)).where(row.status == "pending")
        )
    from ..payments.views import iso

    return {
        "pending": by_status.get("pending", 0),
        "delivered": by_status.get("delivered", 0),
        "failed": by_status.get("failed", 0),
        "oldest_pending_at": iso(oldest),
    }

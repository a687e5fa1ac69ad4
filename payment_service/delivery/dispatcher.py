"""Delivering the outbox: claim due rows through the database, POST them, record every attempt.

Any number of processes (gunicorn workers, machines) run a dispatcher over one database. A row
is claimed by writing a lease (`claimed_until`) in a transaction that locked it — PostgreSQL
with `FOR UPDATE SKIP LOCKED`, SQLite under its database-wide write lock — so no two
dispatchers send a row at the same time; a dispatcher that dies simply lets its lease run out.

Order per payment: a row is due only when no older row of the same payment is still pending,
so a service never learns a newer state before an older one.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
from sqlalchemy import exists, or_, select, tuple_, update
from sqlalchemy.orm import aliased

from ..db import PaymentHistory, PaymentHistoryWebhook, PaymentHistoryWebhookResponse
from ..runtime import Runtime
from .payload import build_request

log = logging.getLogger(__name__)

MAX_STORED_BODY = 64 * 1024


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
    def __init__(self, runtime: Runtime, *, name: str | None = None):
        self.runtime = runtime
        self.config = runtime.settings.webhooks
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool = ThreadPoolExecutor(
            max_workers=self.config.workers, thread_name_prefix="webhook-delivery"
        )
        self._slots = threading.BoundedSemaphore(self.config.workers)
        self._local = threading.local()
        self._rng = random.Random()
        self.attempted = 0
        """Delivery attempts this dispatcher made (for reports; not shared between processes)."""

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Dispatcher:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._loop, name="webhook-dispatcher", daemon=True
            )
            self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._pool.shutdown(wait=True, cancel_futures=True)

    def wake(self) -> None:
        """Look for due rows now instead of at the next poll."""
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._fill_slots()
            except RuntimeError:
                # The pool refuses work: the interpreter is exiting. Claimed rows keep their
                # lease, which runs out so another dispatcher delivers them.
                return
            except Exception:
                log.exception("webhook dispatcher pass failed; retrying after the poll interval")
            self._wake.wait(self.config.poll_s)
            self._wake.clear()

    def _fill_slots(self) -> None:
        while not self._stop.is_set():
            free = 0
            while self._slots.acquire(blocking=False):
                free += 1
            if free == 0:
                return
            claimed = self.claim(free)
            for _ in range(free - len(claimed)):
                self._slots.release()
            for webhook_id in claimed:
                self._pool.submit(self._deliver_and_release, webhook_id)
            if len(claimed) < free:
                return

    def _deliver_and_release(self, webhook_id: str) -> None:
        try:
            self.deliver(webhook_id)
        except Exception:
            log.exception("delivering webhook %s failed unexpectedly", webhook_id)
        finally:
            self._slots.release()
            # A delivered row may unblock the next row of the same payment.
            self._wake.set()

    # -- one pass, usable synchronously (tests, CLI) -----------------------------------------

    def run_once(self, limit: int = 100) -> int:
        """Claim and deliver due rows in this thread; return how many were attempted."""
        claimed = self.claim(limit)
        for webhook_id in claimed:
            self.deliver(webhook_id)
        return len(claimed)

    def claim(self, limit: int) -> list[str]:
        now = self.runtime.clock()
        row = PaymentHistoryWebhook
        older = aliased(PaymentHistoryWebhook)
        blocked = exists().where(
            older.payment_history_id == row.payment_history_id,
            older.status == "pending",
            tuple_(older.created_at, older.id) < tuple_(row.created_at, row.id),
        )
        query = (
            select(row.id)
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
            ids = list(session.scalars(query))
            if ids:
                session.execute(
                    update(row)
                    .where(row.id.in_(ids))
                    .values(
                        claimed_until=now + timedelta(seconds=self.config.lease_s),
                        claimed_by=self.name,
                    )
                )
        return ids

    def deliver(self, webhook_id: str) -> Attempt:
        settings = self.runtime.settings
        with self.runtime.database.transaction() as session:
            webhook = session.get(PaymentHistoryWebhook, webhook_id)
            history = session.get(PaymentHistory, webhook.payment_history_id) if webhook else None
            if webhook is None or history is None:
                raise LookupError(f"webhook {webhook_id} vanished")
            url = history.webhook_url
            body, headers = build_request(webhook, history, settings, int(time.time()))
        attempt = self._post(url, body, headers)
        self._record(webhook_id, attempt)
        self.attempted += 1
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

    def _record(self, webhook_id: str, attempt: Attempt) -> None:
        now = self.runtime.clock()
        with self.runtime.database.transaction() as session:
            webhook = session.get(PaymentHistoryWebhook, webhook_id, with_for_update=True)
            if webhook is None:
                return
            session.add(
                PaymentHistoryWebhookResponse(
                    payment_history_webhook_id=webhook_id,
                    status=attempt.status,
                    body=attempt.body,
                    error=attempt.error,
                    duration_ms=attempt.duration_ms,
                    created_at=now,
                )
            )
            webhook.attempts += 1
            webhook.claimed_until = None
            webhook.claimed_by = None
            if webhook.status != "pending":
                return  # delivered or failed meanwhile (a lease that ran out); keep its verdict
            if attempt.succeeded:
                webhook.status = "delivered"
                webhook.delivered_at = now
                webhook.last_error = None
                return
            webhook.last_error = attempt.error
            delay = backoff(
                webhook.attempts, self.config.retry_base_s, self.config.retry_max_s, self._rng
            )
            upcoming = now + timedelta(seconds=delay)
            if upcoming > webhook.deadline_at:
                webhook.status = "failed"
                log.warning(
                    "webhook %s failed for good after %d attempts: %s",
                    webhook_id,
                    webhook.attempts,
                    attempt.error,
                )
            else:
                webhook.next_attempt_at = upcoming


def counts(runtime: Runtime) -> dict[str, Any]:
    """How many outgoing webhooks are in each state, and the oldest one still pending."""
    from sqlalchemy import func

    row = PaymentHistoryWebhook
    with runtime.database.transaction() as session:
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

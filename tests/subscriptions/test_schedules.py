"""Schedules end to end through the SDK: periods charged by the housekeeper exactly once as they
fall due (run here at chosen times with `run_housekeeping(now=...)`), declined periods retried,
`past_due` after the last retry, cancelling, and several housekeepers at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import requests

from payment_service.client import Forbidden, NotFound, Schedule
from payment_service.db import PaymentHistory as StoredHistory
from payment_service.db import PaymentHistoryClaim, PaymentSchedule
from tests.e2e.conftest import PASSWORD, count, send_encrypted
from tests.support.cli import run_cli
from tests.support.clients import Flavour, connect
from tests.support.dropping_proxy import DroppingProxy
from tests.support.threads import on_threads

from .conftest import CHARGE_PATHS, PRICE, Saved, sync_only

# In the past, so that the webhooks of the payments (stamped with the housekeeping's time) are
# due for delivery at once; the package's housekeeper never runs by itself.
FIRST = datetime(2026, 1, 31, 3, 0, tzinfo=UTC)
MONTHS = [FIRST, datetime(2026, 2, 28, 3, tzinfo=UTC), datetime(2026, 3, 31, 3, tzinfo=UTC)]


def schedule(saved: Saved, **changes) -> Schedule:
    arguments = {
        "password": PASSWORD,
        "price": PRICE,
        "title": "Pro plan",
        "every": "month",
        "first_at": FIRST,
        "webhook_url": saved.receiver.url,
        **changes,
    }
    return saved.client.schedules.create(saved.id, **arguments)


def reread(saved: Saved, created: Schedule) -> Schedule:
    return saved.client.schedules.get(created.id, password=PASSWORD)


def paid_webhook(saved: Saved, history_id: str):
    return saved.receiver.wait_for(lambda hook: hook.current.id == history_id)


def test_a_monthly_schedule_with_one_declined_month(saved: Saved):
    created = schedule(saved)
    assert (created.status, created.next_at, created.periods) == ("active", FIRST, ())
    assert created.retries == ("P1D", "P3D", "P7D")

    saved.backend.run_housekeeping(now=MONTHS[0])
    first = reread(saved, created)
    assert [p.status for p in first.periods] == ["paid"]
    hooks = [paid_webhook(saved, first.periods[0].history_id)]

    saved.backend.customer.decline_charges(saved.code, saved.billing_key)
    saved.backend.run_housekeeping(now=MONTHS[1])
    declined = reread(saved, created).periods[1]
    assert (declined.status, declined.attempts) == ("retrying", 1)
    assert declined.next_attempt_at == MONTHS[1] + timedelta(days=1)
    assert declined.error["code"] and declined.history_id is None

    saved.backend.run_housekeeping(now=MONTHS[1] + timedelta(days=1))
    retried = reread(saved, created).periods[1]
    assert (retried.status, retried.attempts) == ("paid", 2)
    hooks.append(paid_webhook(saved, retried.history_id))

    saved.backend.run_housekeeping(now=MONTHS[2])
    done = reread(saved, created)
    hooks.append(paid_webhook(saved, done.periods[2].history_id))
    # Exactly three payments, one retry, the anchor's day kept (28 February, then the 31st).
    assert [p.status for p in done.periods] == ["paid", "paid", "paid"]
    assert [p.attempts for p in done.periods] == [1, 2, 1]
    assert [p.due_at for p in done.periods] == MONTHS
    assert done.status == "active"
    assert done.next_at == datetime(2026, 4, 30, 3, tzinfo=UTC)
    assert count(saved.backend, StoredHistory) == 3
    assert saved.charges_at_fake == 4  # three paid, one declined: nothing charged twice
    # Each payment is an ordinary one, opened with the reservation's password.
    for period in done.periods:
        history = saved.client.histories.at(period.history_id, password=PASSWORD)
        assert (history.price, history.vendor_code) == (PRICE, saved.code)
        assert history.source.id == period.id
    # The webhooks came in the order of the charges, each the payment becoming paid.
    assert [hook.current.id for hook in hooks] == [p.history_id for p in done.periods]
    assert all(hook.previous.paid_at is None for hook in hooks)

    # Running again at the same time charges nothing more.
    saved.backend.run_housekeeping(now=MONTHS[2])
    assert count(saved.backend, StoredHistory) == 3
    assert saved.charges_at_fake == 4


def test_past_due_after_the_last_retry_and_active_again_once_paid(saved: Saved):
    created = schedule(saved, every="week", retries=["PT1H"])
    saved.backend.customer.decline_charges(saved.code, saved.billing_key, count=2)
    saved.backend.run_housekeeping(now=FIRST)
    saved.backend.run_housekeeping(now=FIRST + timedelta(hours=1))
    failed = reread(saved, created)
    assert failed.status == "past_due"
    assert (failed.periods[0].status, failed.periods[0].attempts) == ("failed", 2)
    assert failed.periods[0].next_attempt_at is None
    # A failed period is not tried again; the next week's is, and its payment ends past_due.
    saved.backend.run_housekeeping(now=FIRST + timedelta(days=7))
    again = reread(saved, created)
    assert [p.status for p in again.periods] == ["failed", "paid"]
    assert again.status == "active"
    assert count(saved.backend, StoredHistory) == 1
    # Each decline and each change of status reached the schedule's webhook_url, in order.
    events = saved.receiver.wait_for_schedule_events(4)
    assert [(e.type, e.previous_status, e.schedule.status) for e in events] == [
        ("schedule.declined", "active", "active"),
        ("schedule.declined", "active", "past_due"),
        ("schedule.status", "active", "past_due"),
        ("schedule.status", "past_due", "active"),
    ]
    assert [e.period.status for e in events[:2]] == ["retrying", "failed"]
    assert events[0].period.error["code"] and events[0].schedule.id == created.id


@sync_only
def test_periods_that_fell_due_meanwhile_are_each_charged_once(saved: Saved):
    created = schedule(saved, every="day")
    saved.backend.run_housekeeping(now=FIRST + timedelta(days=2, hours=1))
    caught_up = reread(saved, created)
    assert [p.sequence for p in caught_up.periods] == [0, 1, 2]
    assert all(p.status == "paid" for p in caught_up.periods)
    assert saved.charges_at_fake == 3


@sync_only
def test_two_housekeepers_at_once_charge_each_period_once(saved: Saved):
    created = schedule(saved, every="day")
    moment = FIRST + timedelta(days=1)
    on_threads(4, lambda: saved.backend.run_housekeeping(now=moment))
    done = reread(saved, created)
    assert [p.status for p in done.periods] == ["paid", "paid"]
    assert count(saved.backend, StoredHistory) == 2
    assert saved.charges_at_fake == 2


def test_a_cancelled_schedule_charges_nothing(saved: Saved):
    created = schedule(saved)
    cancelled = saved.client.schedules.cancel(created.id, password=PASSWORD)
    assert (cancelled.status, cancelled.next_at) == ("cancelled", None)
    assert cancelled.cancelled_at is not None
    [event] = saved.receiver.wait_for_schedule_events(1)
    assert (event.type, event.previous_status, event.schedule.status) == (
        "schedule.status",
        "active",
        "cancelled",
    )
    saved.backend.run_housekeeping(now=MONTHS[2])
    assert reread(saved, created).periods == ()
    assert saved.charges_at_fake == 0
    # Cancelling again answers the cancelled schedule.
    assert saved.client.schedules.cancel(created.id, password=PASSWORD).raw == cancelled.raw


def test_the_password_guards_the_schedule(saved: Saved):
    with pytest.raises(Forbidden):
        schedule(saved, password="wrong")
    created = schedule(saved)
    with pytest.raises(Forbidden):
        saved.client.schedules.get(created.id, password="wrong")
    with pytest.raises(Forbidden):
        saved.client.schedules.cancel(created.id, password="wrong")
    with pytest.raises(NotFound):
        saved.client.schedules.get("00000000-0000-4000-8000-000000000000", password=PASSWORD)
    assert reread(saved, created).status == "active"


def test_the_sdk_retries_a_create_whose_answer_was_lost(saved: Saved, flavour: Flavour):
    """The network drops the server's answer to the create: the SDK sends it again with the
    same Idempotency-Key by itself, and there is one schedule."""
    backend = saved.backend
    with (
        DroppingProxy(backend.url, drop_first=1, matching="/schedules") as proxy,
        connect(flavour, proxy.url, backend.key, backend.iv) as client,
    ):
        created = schedule(replace(saved, client=client))
        assert proxy.requests == 2
    assert count(backend, PaymentSchedule) == 1
    assert reread(saved, created).raw == created.raw


@sync_only
def test_a_housekeeper_killed_after_the_gateway_charged_charges_nothing_twice(
    saved: Saved, tmp_path
):
    """A housekeeper process charges a period; the gateway charges, its answer never comes
    back, and the process is killed while it waits. The next round settles the period from the
    gateway: one payment, one charge at the gateway."""
    created = schedule(saved, every="day")
    backend = saved.backend
    fake = backend.fakes.by_code(saved.code)
    with DroppingProxy(
        fake.url, drop_first=1, matching=CHARGE_PATHS[saved.code], hold=True
    ) as proxy:
        vendors = backend.fakes.vendor_options()
        vendors[saved.code]["base_url"] = proxy.url
        environ = {
            **os.environ,
            "PAYMENT_MODE": "local",
            "PAYMENT_DATABASE_URL": backend.database_url,
            "PAYMENT_VENDORS": json.dumps(vendors),
        }
        command = [sys.executable, "-m", "payment_service.cli", "schedules", "run-due"]
        process = subprocess.Popen(
            [*command, "--now", FIRST.isoformat()],
            env=environ,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            assert proxy.dropped.wait(timeout=60), "the housekeeper never charged"
        finally:
            process.kill()
            process.wait(timeout=30)
    assert saved.charges_at_fake == 1
    assert count(backend, StoredHistory) == 0
    assert count(backend, PaymentHistoryClaim) == 1
    assert [p.status for p in reread(saved, created).periods] == ["pending"]

    # Before the dead process's lease runs out, nobody touches the period.
    backend.run_housekeeping(now=FIRST + timedelta(seconds=30))
    assert saved.charges_at_fake == 1 and count(backend, StoredHistory) == 0
    # After it, the period is settled from the gateway, not charged again.
    backend.run_housekeeping(now=FIRST + timedelta(hours=1))
    done = reread(saved, created)
    assert [(p.status, p.attempts) for p in done.periods] == [("paid", 1)]
    assert saved.charges_at_fake == 1
    assert count(backend, StoredHistory) == 1
    assert count(backend, PaymentHistoryClaim) == 0
    history = saved.client.histories.at(done.periods[0].history_id, password=PASSWORD)
    assert history.paid_at is not None and history.price == PRICE
    paid_webhook(saved, history.id)


@sync_only
def test_metrics_count_schedules_by_status_and_charges_by_outcome(saved: Saved):
    schedule(saved, every="week", retries=[])
    saved.backend.customer.decline_charges(saved.code, saved.billing_key)
    saved.backend.run_housekeeping(now=FIRST)
    stopped = schedule(saved)
    saved.client.schedules.cancel(stopped.id, password=PASSWORD)
    text = requests.get(saved.backend.url + "/metrics", timeout=10).text
    assert 'payment_schedules{status="active"} 0.0' in text
    assert 'payment_schedules{status="past_due"} 1.0' in text
    assert 'payment_schedules{status="cancelled"} 1.0' in text
    assert f'payment_billing_charges_total{{outcome="declined",vendor="{saved.code}"}}' in text


@sync_only
def test_the_command_charges_the_due_periods_as_of_a_time(saved: Saved, tmp_path):
    created = schedule(saved, every="day")
    backend = saved.backend
    env = {
        "PAYMENT_MODE": "local",
        "PAYMENT_DATABASE_URL": backend.database_url,
        "PAYMENT_VENDORS": json.dumps(backend.fakes.vendor_options()),
    }
    moment = (FIRST + timedelta(days=1)).isoformat()
    ran = run_cli("schedules", "run-due", "--now", moment, env=env, cwd=tmp_path)
    assert (ran.status, ran.stdout.strip()) == (0, "2 charge(s) attempted")
    assert [p.status for p in reread(saved, created).periods] == ["paid", "paid"]
    again = run_cli("schedules", "run-due", "--now", moment, env=env, cwd=tmp_path)
    assert (again.status, again.stdout.strip()) == (0, "0 charge(s) attempted")
    assert saved.charges_at_fake == 2
    refused = run_cli("schedules", "run-due", "--now", "tomorrow", env=env, cwd=tmp_path)
    assert refused.status == 2 and "ISO-8601" in refused.stderr


@sync_only
@pytest.mark.parametrize(
    "change",
    [
        {"every": "year"},
        {"first_at": "2026-01-31T03:00:00"},  # no offset
        {"retries": ["P1M"]},  # months have no fixed length
        {"retries": ["1 day"]},
        {"price": 0},
    ],
)
def test_bad_input_is_400_and_creates_nothing(saved: Saved, change):
    body = {
        "password": PASSWORD,
        "price": 9900,
        "title": "Pro plan",
        "every": "month",
        "first_at": FIRST.isoformat(),
        "webhook_url": saved.receiver.url,
        **change,
    }
    answer = send_encrypted(
        saved.backend,
        "POST",
        f"/payments/reservations/{saved.id}/schedules",
        json.dumps(body),
    )
    assert answer.status_code == 400
    assert count(saved.backend, PaymentSchedule) == 0

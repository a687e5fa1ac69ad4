"""The janitor: records in doubt re-checked with the gateway, settled with their webhook, or
raised as findings once the schedule is spent (SQLite and PostgreSQL, the fakes on the wire)."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from payment_service.client import GatewayError, PaymentClient
from payment_service.db import JanitorCheck, PaymentHistory, PaymentHistoryClaim
from payment_service.db.queries import janitor as janitor_queries
from payment_service.healing import findings
from payment_service.healing.janitor import run_janitor
from payment_service.payments import histories

from .conftest import (
    PASSWORD,
    STORES,
    Gateways,
    age,
    at,
    command,
    count,
    register,
    timing_out,
    webhooks_lost,
)

# A virtual account's refund goes to the customer's bank account.
ACCOUNT = {
    "bank": "신한은행",
    "account": "110-123-456789",
    "holder": "홍길동",
    "mobile": "010-1234-5678",
}
SCHEDULE = (timedelta(minutes=5), timedelta(hours=1), timedelta(days=1), timedelta(days=1),
            timedelta(days=1))  # fmt: skip


def test_a_claim_left_unknown_by_a_timed_out_approval_is_recorded_with_its_webhook(
    gateways: Gateways,
) -> None:
    backend = gateways.backend
    order = str(uuid.uuid4())
    uid = backend.customer.pay_toss_card(20000, order)
    with timing_out(backend, "toss.payments", "approve"), pytest.raises(GatewayError) as caught:
        register(gateways, "toss.payments", uid, 20000, order)
    assert caught.value.status == 504
    assert count(backend, PaymentHistoryClaim) == 1

    # Within the claim's own window a retry of the request may still finish it: not in doubt.
    early = run_janitor(at(backend, datetime.now(UTC)))
    assert (early.found, count(backend, PaymentHistoryClaim)) == (0, 1)

    # Its request died long ago (aged rather than a clock moved ahead, so that the webhook is
    # due now for the real dispatcher).
    age(backend, PaymentHistoryClaim, "created_at", timedelta(minutes=3))
    # Found, but its owner's retry gets one step of the schedule to finish it first.
    found = run_janitor(backend.runtime)
    assert (found.found, found.checked, count(backend, PaymentHistoryClaim)) == (1, 0, 1)
    age(backend, JanitorCheck, "next_check_at", SCHEDULE[0])
    done = run_janitor(backend.runtime)

    assert (done.found, done.settled) == (1, 1)
    assert count(backend, PaymentHistoryClaim) == 0
    with backend.runtime.database.reading() as session:
        [history] = session.query(PaymentHistory).all()
        history_id = history.id
    webhook = gateways.receiver.wait_for(lambda w: w.current.id == history_id, timeout=15)
    assert webhook.previous.paid_at is None and not webhook.previous.data
    assert webhook.current.paid_at is not None
    assert webhook.current.data["status"] == "DONE"
    stored = gateways.client.histories.at(history_id, password=PASSWORD)
    assert stored.price == Decimal(20000) and stored.paid_at is not None
    assert count(backend, JanitorCheck) == 0


def test_a_claim_the_gateway_never_charged_is_released(gateways: Gateways) -> None:
    backend = gateways.backend
    order = str(uuid.uuid4())
    uid = backend.customer.pay_toss_card(20000, order)
    vendor = backend.runtime.vendors.get("toss.payments")

    def time_out_before_acting(*args: object, **kwargs: object) -> None:
        from payment_service.vendors import GatewayTimeout

        raise GatewayTimeout("the gateway did not answer in time", vendor=vendor.code)

    vendor.approve = time_out_before_acting  # type: ignore[method-assign]
    try:
        with pytest.raises(GatewayError):
            register(gateways, "toss.payments", uid, 20000, order)
    finally:
        del vendor.approve
    assert count(backend, PaymentHistoryClaim) == 1

    found = datetime.now(UTC) + timedelta(minutes=3)
    assert run_janitor(at(backend, found)).checked == 0  # its owner's turn first
    done = run_janitor(at(backend, found + SCHEDULE[0]))

    assert done.settled == 1
    assert count(backend, PaymentHistoryClaim) == 0
    assert count(backend, PaymentHistory) == 0


def test_the_owners_retry_answers_the_payment_the_janitor_recorded_meanwhile(
    gateways: Gateways, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = gateways.backend
    order = str(uuid.uuid4())
    uid = backend.customer.pay_toss_card(20000, order)
    with timing_out(backend, "toss.payments", "approve"), pytest.raises(GatewayError):
        register(gateways, "toss.payments", uid, 20000, order)
    age(backend, PaymentHistoryClaim, "created_at", timedelta(minutes=3))
    run_janitor(backend.runtime)
    age(backend, JanitorCheck, "next_check_at", SCHEDULE[0])
    real_verify = histories.passwords.verify

    def janitor_records_while_the_password_is_checked(
        record_id: str, hashed: str, password: str
    ) -> bool:
        assert run_janitor(backend.runtime).settled == 1
        return real_verify(record_id, hashed, password)

    monkeypatch.setattr(
        histories.passwords, "verify", janitor_records_while_the_password_is_checked
    )

    retried = register(gateways, "toss.payments", uid, 20000, order)

    assert retried.paid_at is not None and retried.data["status"] == "DONE"
    assert count(backend, PaymentHistory) == 1 and count(backend, PaymentHistoryClaim) == 0


def test_a_refund_whose_gateway_call_timed_out_is_settled_by_one_housekeeping_run(
    gateways: Gateways,
) -> None:
    backend = gateways.backend
    history = gateways.register("toss.payments", 20000)
    once = PaymentClient(backend.url, backend.key, backend.iv, max_retries=0)
    with (
        once,
        timing_out(backend, "toss.payments", "cancel"),
        webhooks_lost(backend.toss),
        pytest.raises(GatewayError) as caught,
    ):
        once.histories.cancel(
            source=history.source.__dict__, password=PASSWORD, price=5000, reason="test"
        )
    assert caught.value.status == 504
    assert gateways.client.histories.at(history.id, password=PASSWORD).refund is None

    ran = backend.run_housekeeping(now=datetime.now(UTC))

    assert all(ran.values()), ran
    webhook = gateways.receiver.wait_for(
        lambda w: w.current.id == history.id and w.current.refund == 5000, timeout=15
    )
    assert webhook.previous.refund is None
    stored = gateways.client.histories.at(history.id, password=PASSWORD)
    assert [c.price for c in stored.cancels] == [Decimal(5000)]
    assert count(backend, JanitorCheck) == 0


def test_a_virtual_account_past_due_is_rechecked_on_the_schedule_then_raised_and_repaired(
    gateways: Gateways,
) -> None:
    backend = gateways.backend
    order = str(uuid.uuid4())
    # Due four days ago, so the whole schedule lies in the past (and a webhook made now is
    # due now for the real dispatcher).
    due = datetime.now(UTC).replace(microsecond=0) - timedelta(days=4)
    uid = str(backend.iamport.issue_vbank(30000, order, vbank_due=int(due.timestamp()))["imp_uid"])
    history = register(gateways, "iamport", uid, 30000, order)
    assert history.paid_at is None

    # Found past due and checked at once, then after each delay: the gateway still awaits it.
    moments = [due]
    for delay in SCHEDULE:
        moments.append(moments[-1] + delay)
    rounds = [run_janitor(at(backend, moment)) for moment in moments]
    assert [r.checked for r in rounds] == [1] * 6
    assert [r.gave_up for r in rounds] == [0] * 5 + [1]
    # Nothing more is asked of the gateway once given up.
    assert run_janitor(at(backend, moments[-1] + timedelta(days=30))).checked == 0

    [finding] = findings.list_findings(backend.runtime, state="open")
    assert finding.kind == "janitor-gave-up"
    assert (finding.vendor_code, finding.vendor_uid, finding.record_id) == (
        "iamport",
        uid,
        history.id,
    )
    assert finding.details["record"] == "payment" and finding.details["checks"] == 6
    assert [e.action for e in finding.events] == ["found"]

    # While it is still awaited, a repair fails and says so in the trail.
    with pytest.raises(Exception, match="still in doubt"):
        findings.repair(backend.runtime, finding.id, actor="ops@example.com", reason="try")
    # The customer pays at last, and the gateway's webhook is lost: the repair settles it.
    with webhooks_lost(backend.iamport):
        backend.customer.deposit("iamport", uid)

    repaired = findings.repair(
        backend.runtime, finding.id, actor="ops@example.com", reason="deposit confirmed by phone"
    )

    assert repaired.state == "repaired" and repaired.closed_by == "ops@example.com"
    assert repaired.reason is not None and repaired.reason.startswith("deposit confirmed by phone")
    assert [e.action for e in repaired.events] == ["found", "repair-failed", "repaired"]
    webhook = gateways.receiver.wait_for(
        lambda w: w.current.id == history.id and w.current.paid_at is not None, timeout=15
    )
    assert webhook.previous.paid_at is None
    assert count(backend, JanitorCheck) == 0


def test_an_awaited_payment_not_heard_of_beyond_the_webhook_retry_window_is_fetched(
    gateways: Gateways,
) -> None:
    backend = gateways.backend
    order = str(uuid.uuid4())
    uid = str(backend.iamport.issue_vbank(30000, order)["imp_uid"])
    history = register(gateways, "iamport", uid, 30000, order)
    with webhooks_lost(backend.iamport):
        backend.customer.deposit("iamport", uid)
    window = backend.runtime.vendors.get("iamport").webhook_retry_window

    age(backend, PaymentHistory, "synced_at", window / 2)
    assert run_janitor(backend.runtime).found == 0
    age(backend, PaymentHistory, "synced_at", window / 2 + timedelta(minutes=1))
    done = run_janitor(backend.runtime)

    assert done.settled == 1
    webhook = gateways.receiver.wait_for(
        lambda w: w.current.id == history.id and w.current.paid_at is not None, timeout=15
    )
    assert webhook.previous.paid_at is None
    assert STORES["iamport"] == webhook.current.vendor.store_id


def test_a_refund_of_a_payment_past_due_first_asks_the_gateway(gateways: Gateways) -> None:
    backend = gateways.backend
    order = str(uuid.uuid4())
    due = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    uid = str(backend.iamport.issue_vbank(30000, order, vbank_due=int(due.timestamp()))["imp_uid"])
    history = register(gateways, "iamport", uid, 30000, order)
    with webhooks_lost(backend.iamport):
        backend.customer.deposit("iamport", uid)

    refunded = gateways.client.histories.cancel(
        source=history.source.__dict__,
        password=PASSWORD,
        price=30000,
        reason="changed my mind",
        account=ACCOUNT,
    )

    assert refunded.refund == Decimal(30000) and refunded.paid_at is not None
    # The deposit was learnt from the gateway before the refund, and reported on its own.
    first = gateways.receiver.wait_for(lambda w: w.current.id == history.id, timeout=15)
    assert first.previous.paid_at is None
    assert first.current.paid_at is not None and first.current.refund is None
    gateways.receiver.wait_for(
        lambda w: w.current.id == history.id and w.current.refund == 30000, timeout=15
    )


def test_two_janitors_at_once_never_check_the_same_record_twice(gateways: Gateways) -> None:
    backend = gateways.backend
    order = str(uuid.uuid4())
    due = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    uid = str(backend.iamport.issue_vbank(30000, order, vbank_due=int(due.timestamp()))["imp_uid"])
    register(gateways, "iamport", uid, 30000, order)
    vendor = backend.runtime.vendors.get("iamport")
    real_fetch = vendor.fetch_payment
    fetching, release = threading.Event(), threading.Event()
    fetches: list[str] = []

    def fetch_slowly(store_id: str, uid: str) -> Any:
        fetches.append(uid)
        fetching.set()
        assert release.wait(30)
        return real_fetch(store_id, uid)

    vendor.fetch_payment = fetch_slowly  # type: ignore[method-assign]
    try:
        first: list[Any] = []
        worker = threading.Thread(target=lambda: first.append(run_janitor(backend.runtime)))
        worker.start()
        assert fetching.wait(30)
        second = run_janitor(backend.runtime)
        release.set()
        worker.join(30)
    finally:
        del vendor.fetch_payment
    assert (first[0].checked, second.checked) == (1, 0)
    assert fetches == [uid]


def test_janitor_once_runs_one_round_from_the_command_line(gateways: Gateways) -> None:
    backend = gateways.backend
    order = str(uuid.uuid4())
    due = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    uid = str(backend.iamport.issue_vbank(30000, order, vbank_due=int(due.timestamp()))["imp_uid"])
    register(gateways, "iamport", uid, 30000, order)

    result = command(gateways, "janitor", "--once")

    assert result.status == 0, result.stderr
    assert result.stdout.strip() == (
        "1 record(s) in doubt, 1 checked: 0 settled, 0 given up (findings), 0 gateway error(s)"
    )
    with backend.runtime.database.reading() as session:
        [check] = session.query(JanitorCheck).all()
        assert (check.kind, check.checks, check.vendor_uid) == ("payment", 1, uid)
        assert check.last_outcome == "the gateway still awaits the payment past its due date"


def test_a_check_that_breaks_is_counted_as_failed_and_rescheduled(gateways: Gateways) -> None:
    backend = gateways.backend
    order = str(uuid.uuid4())
    due = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    uid = str(backend.iamport.issue_vbank(30000, order, vbank_due=int(due.timestamp()))["imp_uid"])
    register(gateways, "iamport", uid, 30000, order)
    vendor = backend.runtime.vendors.get("iamport")

    def broken(store_id: str, uid: str) -> Any:
        raise ValueError("a malformed answer")

    vendor.fetch_payment = broken  # type: ignore[method-assign]
    try:
        done = run_janitor(backend.runtime)
    finally:
        del vendor.fetch_payment

    assert (done.checked, done.errors) == (1, 1)
    with backend.runtime.database.reading() as session:
        [check] = session.query(JanitorCheck).all()
        assert (check.checks, check.last_outcome) == (1, "the check failed: ValueError")
        assert check.next_check_at == check.last_checked_at + SCHEDULE[0]


def test_records_beyond_a_rounds_limit_are_not_forgotten(
    gateways: Gateways, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = gateways.backend
    for hours in (2, 1):
        order = str(uuid.uuid4())
        due = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=hours)
        issued = backend.iamport.issue_vbank(30000, order, vbank_due=int(due.timestamp()))
        register(gateways, "iamport", str(issued["imp_uid"]), 30000, order)
    assert run_janitor(backend.runtime).checked == 2

    monkeypatch.setattr(janitor_queries, "LIMIT", 1)  # more in doubt than one round reads
    later = run_janitor(at(backend, datetime.now(UTC) + timedelta(minutes=6)))

    assert later.found == 1
    with backend.runtime.database.reading() as session:
        assert [c.checks for c in session.query(JanitorCheck).all()] == [2, 2]

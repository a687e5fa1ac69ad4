"""Scheduled reconciliation and stored findings: found by the housekeeper alone, listed and
repaired from the command line with who and why, never duplicated, one run at a time."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests

from payment_service.errors import BadRequest, Conflict
from payment_service.healing import findings, scheduled

from .conftest import PASSWORD, Gateways, at, command, housekeeping, register

VENDORS = ["iamport", "toss.payments"]
HOUR = timedelta(hours=1)


def listed(gateways: Gateways, *args: str) -> list[dict[str, Any]]:
    result = command(gateways, "findings", "list", "--json", *args)
    assert result.status == 0, result.stderr
    found: list[dict[str, Any]] = result.report  # type: ignore[assignment]
    return found


def held_at_gateway(gateways: Gateways, code: str, uid: str) -> Decimal:
    payment = gateways.gateway_payment(code, uid)
    if code == "iamport":
        return Decimal(str(payment["amount"])) - Decimal(str(payment["cancel_amount"]))
    return Decimal(str(payment["balanceAmount"]))


@pytest.mark.parametrize("code", VENDORS)
def test_one_scheduled_run_repairs_drift_and_keeps_the_orphan_until_a_person_repairs_it(
    gateways: Gateways, code: str
) -> None:
    history = gateways.register(code, 20000)
    gateways.refund_in_console(code, history.vendor.uid, 5000)
    orphan = gateways.pay(code, 25000)

    # A moment later: gateways list by whole seconds, and the window ends where the run starts.
    later = datetime.now(UTC) + timedelta(seconds=2)
    ran = housekeeping(gateways.backend, later, reconcile_every=HOUR)

    assert all(ran.values()), ran
    # The drift is repaired by the run itself, and the service hears of the refund.
    webhook = gateways.receiver.wait_for(
        lambda w: w.current.id == history.id and w.current.refund == 5000, timeout=15
    )
    assert webhook.previous.refund is None
    assert gateways.client.histories.at(history.id, password=PASSWORD).refund == Decimal(5000)
    # The orphan was paid moments ago (it may be being registered): not reported yet...
    assert listed(gateways, "--kind", "orphan") == []
    # ...but by the next run, whose window overlaps this one: what is left for a person.
    assert all(housekeeping(gateways.backend, later + HOUR, reconcile_every=HOUR).values())
    [left] = listed(gateways, "--state", "open")
    assert (left["kind"], left["uid"], left["vendor"]) == ("orphan", orphan, code)
    assert left["details"]["amount"] == 25000 and left["found_by"] == "schedule"
    [drift] = listed(gateways, "--kind", "drift")
    assert (drift["state"], drift["record_id"], drift["closed_by"]) == (
        "repaired",
        history.id,
        "housekeeper",
    )
    assert [e["action"] for e in drift["events"]] == ["found", "repaired"]

    repaired = command(
        gateways, "findings", "repair", left["id"], "--reason", "no order: refund", "--by", "kim"
    )

    assert repaired.status == 0, repaired.stderr
    assert held_at_gateway(gateways, code, orphan) == 0
    [done] = [f for f in listed(gateways) if f["id"] == left["id"]]
    assert (done["state"], done["closed_by"]) == ("repaired", "kim")
    assert done["reason"].startswith("no order: refund")
    assert [(e["action"], e["actor"]) for e in done["events"]] == [
        ("found", "schedule"),
        ("repaired", "kim"),
    ]
    assert listed(gateways, "--state", "open") == []
    # A finding is acted on once.
    again = command(gateways, "findings", "ignore", left["id"], "--reason", "twice")
    assert again.status == 1 and "not open" in again.stderr


def test_the_same_finding_found_again_is_updated_not_duplicated(gateways: Gateways) -> None:
    orphan = gateways.pay("iamport", 25000)

    for _ in range(2):
        assert gateways.reconcile("iamport", "--json").status == 1

    [finding] = listed(gateways)
    assert (finding["uid"], finding["times_seen"], finding["found_by"]) == (orphan, 2, "cli")
    assert [e["action"] for e in finding["events"]] == ["found"]


def test_ignoring_needs_a_reason_and_is_kept_with_who_and_why(gateways: Gateways) -> None:
    gateways.pay("toss.payments", 15000)
    assert gateways.reconcile("toss.payments").status == 1
    [finding] = findings.list_findings(gateways.backend.runtime, state="open")
    runtime = gateways.backend.runtime

    with pytest.raises(BadRequest):
        findings.ignore(runtime, finding.id, actor="lee@example.com", reason="  ")
    assert findings.get_finding(runtime, finding.id).state == "open"

    ignored = findings.ignore(runtime, finding.id, actor="lee@example.com", reason="test order")

    assert (ignored.state, ignored.closed_by, ignored.reason) == (
        "ignored",
        "lee@example.com",
        "test order",
    )
    assert [(e.action, e.actor, e.reason) for e in ignored.events][-1] == (
        "ignored",
        "lee@example.com",
        "test order",
    )
    with pytest.raises(Conflict):
        findings.repair(runtime, finding.id, actor="lee@example.com", reason="changed my mind")
    # Nothing was refunded: ignoring changes nothing at the gateway.
    assert held_at_gateway(gateways, "toss.payments", finding.vendor_uid) == Decimal(15000)
    # Found again later, it is a new open finding.
    assert gateways.reconcile("toss.payments").status == 1
    assert len(findings.list_findings(runtime, state="open")) == 1
    assert len(findings.list_findings(runtime)) == 2


def test_two_housekeepers_never_run_the_same_reconciliation_twice(gateways: Gateways) -> None:
    backend = gateways.backend
    gateways.pay("iamport", 10000)
    now = datetime.now(UTC)
    vendor = backend.runtime.vendors.get("iamport")
    real_list = vendor.list_payments
    windows: list[tuple[datetime, datetime]] = []
    listing, release = threading.Event(), threading.Event()

    def list_slowly(store_id: str, since: datetime, until: datetime) -> Any:
        windows.append((since, until))
        listing.set()
        assert release.wait(30)
        return real_list(store_id, since, until)

    vendor.list_payments = list_slowly  # type: ignore[method-assign]
    try:
        first: list[int] = []
        worker = threading.Thread(
            target=lambda: first.append(
                scheduled.reconcile_due(at(backend, now, reconcile_every=HOUR))
            )
        )
        worker.start()
        assert listing.wait(30)
        # A second housekeeper meanwhile: iamport's run is under way, so it does the others.
        second = scheduled.reconcile_due(at(backend, now, reconcile_every=HOUR))
        release.set()
        worker.join(30)
    finally:
        del vendor.list_payments
    listing_vendors = [
        c for c in backend.runtime.vendors.codes if backend.runtime.vendors.get(c).can_list
    ]
    assert "iamport" in listing_vendors
    assert (first, second) == ([1], len(listing_vendors) - 1)
    assert len(windows) == 1
    # Not due again within the period, by either of them...
    assert scheduled.reconcile_due(at(backend, now + HOUR / 2, reconcile_every=HOUR)) == 0
    # ...and the next period starts where the last one ended, with some overlap.
    vendor.list_payments = lambda store_id, since, until: (  # type: ignore[method-assign]
        windows.append((since, until)) or real_list(store_id, since, until)
    )
    try:
        assert scheduled.reconcile_due(at(backend, now + HOUR, reconcile_every=HOUR)) == len(
            listing_vendors
        )
    finally:
        del vendor.list_payments
    assert windows[1] == (now - scheduled.OVERLAP, now + HOUR)
    assert windows[0] == (now - HOUR - scheduled.OVERLAP, now)


def sample(text: str, series: str) -> float:
    """The value of one series in a scrape (0 when absent)."""
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.split()[-1])
    return 0.0


def test_metrics_show_findings_records_in_doubt_checks_and_runs(gateways: Gateways) -> None:
    backend = gateways.backend
    url = f"{backend.url}/metrics"
    before = requests.get(url, timeout=10).text
    gateways.pay("iamport", 10000)
    order = str(uuid.uuid4())
    due = datetime.now(UTC).replace(microsecond=0) - HOUR
    uid = str(backend.iamport.issue_vbank(30000, order, vbank_due=int(due.timestamp()))["imp_uid"])
    register(gateways, "iamport", uid, 30000, order)
    run = datetime.now(UTC) + timedelta(minutes=6)  # the orphan is past its grace

    assert all(housekeeping(backend, run, reconcile_every=HOUR).values())

    text = requests.get(url, timeout=10).text
    assert sample(text, 'payment_findings{kind="orphan",state="open"}') == 1
    assert sample(text, "payment_records_in_doubt") == 1  # the account past due
    checks = 'payment_janitor_checks_total{outcome="in_doubt"}'
    assert sample(text, checks) == sample(before, checks) + 1
    runs = 'payment_reconcile_runs_total{outcome="ok",vendor="iamport"}'
    assert sample(text, runs) == sample(before, runs) + 1
    last = 'payment_reconcile_last_success_timestamp_seconds{vendor="iamport"}'
    assert sample(text, last) == run.timestamp()


def test_an_orphan_registered_late_is_closed_by_the_next_run(gateways: Gateways) -> None:
    order = str(uuid.uuid4())
    uid = gateways.pay("toss.payments", 12000, order)
    assert gateways.reconcile("toss.payments").status == 1
    [finding] = listed(gateways, "--state", "open")
    assert finding["uid"] == uid

    register(gateways, "toss.payments", uid, 12000, order)  # the service's late registration
    assert gateways.reconcile("toss.payments").status == 0

    [closed] = listed(gateways)
    assert (closed["id"], closed["state"], closed["reason"]) == (
        finding["id"],
        "repaired",
        "registered since",
    )
    assert closed["closed_by"].startswith("cli:")


def test_findings_list_prints_one_line_per_finding_or_none(gateways: Gateways) -> None:
    assert command(gateways, "findings", "list").stdout == "(none)\n"
    orphan = gateways.pay("iamport", 25000)
    assert gateways.reconcile("iamport").status == 1

    result = command(gateways, "findings", "list", "--state", "open")

    assert result.status == 0, result.stderr
    [line] = result.stdout.splitlines()
    assert "  open      orphan           iamport  " + orphan in line
    assert line.endswith("(1x)  paid at the gateway (25000 held), no record here")
    wrong = command(gateways, "findings", "list", "--state", "closed")
    assert wrong.status == 2 and "closed" in wrong.stderr

"""`payment-service reconcile` end to end, for iamport and Toss, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from .conftest import PASSWORD, VENDORS, Gateways

KEYS = {
    "vendor",
    "store",
    "since",
    "until",
    "checked",
    "orphans",
    "drift",
    "unknown",
    "repaired",
    "cancelled",
}


@pytest.mark.parametrize("code", VENDORS)
def test_a_clean_window_exits_0_with_the_json_shape(gateways: Gateways, code: str) -> None:
    history = gateways.register(code, 20000)

    result = gateways.reconcile(code, "--json", "--store", history.vendor.store_id)

    assert result.status == 0, result.stderr
    report = result.report
    assert set(report) == KEYS
    assert report["vendor"] == code
    assert report["store"] == history.vendor.store_id
    assert report["checked"] == 1
    assert [report[k] for k in ("orphans", "drift", "unknown", "repaired", "cancelled")] == [
        [],
        [],
        [],
        [],
        [],
    ]
    assert datetime.fromisoformat(report["since"]) < datetime.fromisoformat(report["until"])


@pytest.mark.parametrize("code", VENDORS)
def test_a_payment_paid_at_the_gateway_but_never_registered_is_an_orphan(
    gateways: Gateways, code: str
) -> None:
    registered = gateways.register(code, 10000)
    orphan = gateways.pay(code, 25000)

    result = gateways.reconcile(code, "--json")

    assert result.status == 1, result.stderr
    report = result.report
    assert report["store"] is None
    assert report["checked"] == 2
    assert [(o["uid"], o["amount"]) for o in report["orphans"]] == [(orphan, 25000)]
    paid_at = datetime.fromisoformat(report["orphans"][0]["paid_at"])
    assert abs(paid_at - registered.created_at) < timedelta(minutes=1)
    assert report["drift"] == [] and report["unknown"] == [] and report["cancelled"] == []
    # Never registered, never touched: the gateway still holds the money.
    payment = gateways.gateway_payment(code, orphan)
    assert payment.get("cancel_amount", 0) == 0 and not payment.get("cancels")


@pytest.mark.parametrize("code", VENDORS)
def test_a_refund_made_at_the_gateway_with_its_webhook_lost_is_drift_and_repair_reports_it(
    gateways: Gateways, code: str
) -> None:
    history = gateways.register(code, 20000)
    gateways.refund_in_console(code, history.vendor.uid, 5000)

    found = gateways.reconcile(code, "--json")

    assert found.status == 1, found.stderr
    drift = {d["field"]: d for d in found.report["drift"]}
    assert {d["id"] for d in found.report["drift"]} == {history.id}
    assert drift["refund"]["recorded"] == 0 and drift["refund"]["gateway"] == 5000
    assert drift["cancels"]["recorded"] == [] and drift["cancels"]["gateway"] == [5000]
    assert "paid_at" not in drift and "price" not in drift
    if code == "toss.payments":
        assert (drift["status"]["recorded"], drift["status"]["gateway"]) == (
            "DONE",
            "PARTIAL_CANCELED",
        )
    assert found.report["repaired"] == []
    # Without --repair nothing changed here.
    assert gateways.client.histories.at(history.id, password=PASSWORD).refund is None

    repaired = gateways.reconcile(code, "--json", "--repair")

    assert repaired.status == 1, repaired.stderr
    assert repaired.report["repaired"] == [history.id]
    webhook = gateways.receiver.wait_for(
        lambda w: w.current.id == history.id and w.current.refund == 5000, timeout=15
    )
    assert webhook.previous.refund is None
    stored = gateways.client.histories.at(history.id, password=PASSWORD)
    assert stored.refund == Decimal(5000)
    assert [c.price for c in stored.cancels] == [Decimal(5000)]

    again = gateways.reconcile(code, "--json")
    assert again.status == 0, again.report


@pytest.mark.parametrize("code", VENDORS)
def test_a_cancelled_record_that_the_gateway_says_is_paid_is_drift(
    gateways: Gateways, code: str
) -> None:
    history = gateways.register(code, 20000)
    gateways.client.histories.cancel(
        source=history.source.__dict__, password=PASSWORD, price=20000, reason="out of stock"
    )
    gateways.receiver.wait_for(lambda w: w.current.refund == 20000, timeout=15)
    fake = gateways.backend.iamport if code == "iamport" else gateways.backend.toss
    assert fake.drain_webhooks(10)  # the gateway's own webhook of the refund is handled
    # The gateway undid the refund (e.g. a failed transfer back): it reports the payment paid.
    if code == "iamport":
        payment = gateways.backend.iamport.state.payments.get(history.vendor.uid)
        payment.status, payment.cancel_amount, payment.cancelled_at = "paid", 0, 0
        payment.cancel_history.clear()
        paid, cancelled = "paid", "cancelled"
    else:
        payment = gateways.backend.toss.state.payments.get(history.vendor.uid)
        payment.update(status="DONE", cancels=None, balanceAmount=payment["totalAmount"])
        paid, cancelled = "DONE", "CANCELED"

    result = gateways.reconcile(code, "--json", "--repair")

    assert result.status == 1, result.stderr
    drift = {d["field"]: (d["recorded"], d["gateway"]) for d in result.report["drift"]}
    assert drift["status"] == (cancelled, paid)
    assert drift["refund"] == (20000, 0)
    assert drift["cancels"] == ([20000], [])
    # A refund is never rolled back by a gateway answer that lists fewer refunds (it may be
    # an overtaken answer): the record stays as it is, for a person to look at.
    assert result.report["repaired"] == []
    stored = gateways.client.histories.at(history.id, password=PASSWORD)
    assert stored.refund == Decimal(20000)
    assert stored.data["status"] == cancelled
    # Refund rows are never deleted: that difference stays for a person to look at.
    after = gateways.reconcile(code, "--json")
    assert ("cancels", [20000], []) in [
        (d["field"], d["recorded"], d["gateway"]) for d in after.report["drift"]
    ]


@pytest.mark.parametrize("code", VENDORS)
def test_a_record_the_gateway_does_not_know_is_unknown_and_never_deleted(
    gateways: Gateways, code: str
) -> None:
    history = gateways.register(code, 15000)
    fake = gateways.backend.iamport if code == "iamport" else gateways.backend.toss
    fake.state.payments.pop(history.vendor.uid)

    result = gateways.reconcile(code, "--json", "--repair")

    assert result.status == 1, result.stderr
    assert result.report["unknown"] == [{"id": history.id, "uid": history.vendor.uid}]
    assert result.report["repaired"] == []
    assert gateways.client.histories.at(history.id, password=PASSWORD).price == Decimal(15000)


@pytest.mark.parametrize("code", VENDORS)
def test_the_list_is_paged_through(gateways: Gateways, code: str) -> None:
    fake = gateways.backend.iamport if code == "iamport" else gateways.backend.toss
    fake.set_list_limit(2)
    orphans = {gateways.pay(code, 1000 + n) for n in range(5)}
    registered = gateways.register(code, 9000)

    result = gateways.reconcile(code, "--json")

    assert result.status == 1, result.stderr
    assert {o["uid"] for o in result.report["orphans"]} == orphans
    assert result.report["checked"] == 6
    assert registered.vendor.uid not in {o["uid"] for o in result.report["orphans"]}


@pytest.mark.parametrize("code", VENDORS)
def test_orphans_older_than_the_duration_are_cancelled_at_the_gateway(
    gateways: Gateways, code: str
) -> None:
    fake = gateways.backend.iamport if code == "iamport" else gateways.backend.toss
    old, young = gateways.pay(code, 30000), gateways.pay(code, 40000)
    fake.backdate(old, 2 * 3600)

    result = gateways.reconcile(code, "--json", "--cancel-orphans-older-than", "1h")

    assert result.status == 1, result.stderr
    assert {o["uid"] for o in result.report["orphans"]} == {old, young}
    assert result.report["cancelled"] == [old]
    refunded = gateways.gateway_payment(code, old)
    untouched = gateways.gateway_payment(code, young)
    if code == "iamport":
        assert (refunded["cancel_amount"], refunded["status"]) == (30000, "cancelled")
        assert untouched["cancel_amount"] == 0
    else:
        assert (refunded["balanceAmount"], refunded["status"]) == (0, "CANCELED")
        assert untouched["balanceAmount"] == 40000
    # Refunded in full, it is no orphan any more.
    after = gateways.reconcile(code, "--json")
    assert [o["uid"] for o in after.report["orphans"]] == [young]


def test_an_orphan_whose_registration_is_in_flight_is_not_cancelled(gateways: Gateways) -> None:
    from payment_service.db import PaymentHistoryClaim

    uid = gateways.pay("iamport", 30000)
    gateways.backend.iamport.backdate(uid, 2 * 3600)
    # A registration claimed the uid moments ago and is approving it right now.
    with gateways.backend.runtime.database.transaction() as session:
        session.add(
            PaymentHistoryClaim(
                source_schema="shop",
                source_table="orders",
                source_id="in-flight",
                vendor_code="iamport",
                vendor_uid=uid,
                vendor_store_id="s",
                password="x",
                created_at=datetime.now().astimezone(),
                price=Decimal(30000),
                webhook_url="http://127.0.0.1:9/",
                data="",
            )
        )

    result = gateways.reconcile("iamport", "--json", "--cancel-orphans-older-than", "1h")

    assert result.status == 1, result.stderr
    assert [o["uid"] for o in result.report["orphans"]] == [uid]
    assert result.report["cancelled"] == []
    assert gateways.gateway_payment("iamport", uid)["cancel_amount"] == 0


def test_the_default_output_is_a_table(gateways: Gateways) -> None:
    history = gateways.register("iamport", 20000)
    gateways.refund_in_console("iamport", history.vendor.uid, 2000)
    orphan = gateways.pay("iamport", 7000)

    result = gateways.reconcile("iamport")

    assert result.status == 1, result.stderr
    lines = result.stdout.splitlines()
    assert "iamport (every store)" in lines[0] and "2 payment(s) checked" in lines[0]
    assert "Orphans: paid at the gateway, no record here (1)" in lines
    assert any(line.startswith(orphan) and "7000" in line for line in lines)
    assert "Drift: the record differs from the gateway (2)" in lines
    assert any(history.id in line and "refund" in line and "2000" in line for line in lines)
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--vendor", "nope"], "Unknown vendor 'nope' (loaded: iamport, portone, toss.payments)."),
        (["--vendor", "iamport", "--cancel-orphans-older-than", "soon"], "not a duration"),
        (["--vendor", "iamport", "--until", "2020-01-01T00:00:00Z"], "--since must be before"),
    ],
)
def test_errors_exit_2_with_a_message(gateways: Gateways, args: list[str], message: str) -> None:
    window = ["--since", "2021-01-01T00:00:00Z", "--until", "2021-01-02T00:00:00Z"]
    arguments = window + args  # a later --until wins

    result = gateways.run(*arguments)

    assert result.status == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreachable_gateway_exits_2(gateways: Gateways) -> None:
    vendors = gateways.backend.fakes.vendor_options()
    vendors["toss.payments"]["base_url"] = "http://127.0.0.1:9"
    window = ["--since", "2021-01-01T00:00:00Z", "--until", "2021-01-02T00:00:00Z"]

    result = gateways.run("--vendor", "toss.payments", *window, "--json", vendors=vendors)

    assert result.status == 2
    assert "toss.payments cannot be reached" in result.stderr
    assert result.stdout == ""


def test_the_report_is_one_json_object_on_stdout(gateways: Gateways) -> None:
    gateways.pay("toss.payments", 5000)

    # The installed entry point, as a separate process: nothing else reaches stdout.
    result = gateways.reconcile("toss.payments", "--json", in_subprocess=True)

    assert result.status == 1
    assert len(result.stdout.strip().splitlines()) == 1
    assert json.loads(result.stdout)["orphans"][0]["amount"] == 5000


def test_a_database_without_the_schema_exits_2(gateways: Gateways) -> None:
    empty = f"sqlite:///{gateways.workdir / 'empty.sqlite3'}"
    window = ["--since", "2021-01-01T00:00:00Z", "--until", "2021-01-02T00:00:00Z"]

    result = gateways.run("--vendor", "iamport", *window, database_url=empty)

    assert result.status == 2
    assert "no schema yet" in result.stderr

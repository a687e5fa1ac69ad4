"""Payments in the console against the fake gateways (one shared backend per database):
search, export, the detail and its timeline, refunds through the API's cancel, and resending
webhooks."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from payment_service.client import PaymentClient, Unprocessable
from payment_service.console.views import payments as payment_views
from payment_service.db.models import ApprovalFailure
from payment_service.testing import PaymentBackend
from tests.support.payments import register
from tests.support.servers import wait_until

from .support import (
    IAMPORT_STORE,
    SUBMISSION_KEY,
    Console,
    actions,
    add_operator,
    fail_webhooks,
    pay,
    stored_payment,
    webhook_states,
)


@pytest.fixture
def console(backend: PaymentBackend) -> Console:
    for role in ("viewer", "operator"):
        add_operator(backend.runtime, f"{role}@example.com", role)
    assert backend.app is not None
    return Console.of(backend.app).logged_in("operator@example.com")


def listed_ids(page: str) -> list[str]:
    return re.findall(r'href="/console/payments/([0-9a-f-]{36})"', page)


def refund_form(console: Console, history_id: str) -> dict[str, str]:
    page = console.http.get(f"/console/payments/{history_id}")
    assert page.status_code == 200
    found = SUBMISSION_KEY.search(page.text)
    assert found, "no refund form"
    return {"submission_key": found.group(1)}


def test_a_payment_is_found_by_each_criterion(console, backend, receiver):
    paid, uid = pay(backend, receiver.url, 20000)
    other, _ = pay(backend, receiver.url, 9000)
    source_id = stored_payment(backend, paid).source_id
    searches = {
        f"uid={uid}": [paid],
        f"id={paid}": [paid],
        f"source_id={source_id}": [paid],
        "vendor=iamport": [other, paid],
        "vendor=toss.payments": [],
        "status=paid": [other, paid],
        "status=refunded": [],
        "min_amount=10000": [paid],
        "max_amount=10000": [other],
        "min_amount=9000&max_amount=9000": [other],
        "since=2000-01-01&until=2999-01-01": [other, paid],
        "since=2999-01-01": [],
    }
    for query, expected in searches.items():
        page = console.http.get(f"/console/payments?{query}")
        assert page.status_code == 200, query
        assert listed_ids(page.text) == expected, query


@pytest.mark.parametrize(
    "query", ["min_amount=lots", "since=yesterday", "status=lost", "max_amount=NaN"]
)
def test_a_bad_filter_is_a_400_with_its_reason(console, query):
    page = console.http.get(f"/console/payments?{query}")
    assert page.status_code == 400
    assert query.split("=")[0] in page.text
    assert console.http.get(f"/console/payments.csv?{query}").status_code == 400


def test_the_export_streams_every_matching_row_in_batches(console, backend, receiver, monkeypatch):
    monkeypatch.setattr(payment_views, "EXPORT_BATCH", 2)  # three batches for five payments
    made = [pay(backend, receiver.url, 1000 * (n + 1))[0] for n in range(5)]
    monkeypatch.setattr(payment_views, "PAGE_SIZE", 2)
    assert len(listed_ids(console.http.get("/console/payments").text)) == 2  # one page only
    answer = console.http.get("/console/payments.csv?vendor=iamport")
    assert answer.status_code == 200
    assert answer.mimetype == "text/csv"
    assert answer.is_streamed
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    assert sorted(row["id"] for row in rows) == sorted(made)
    assert {row["status"] for row in rows} == {"paid"}
    assert sorted(Decimal(row["price"]) for row in rows) == [1000, 2000, 3000, 4000, 5000]
    some = console.http.get("/console/payments.csv?min_amount=4000").get_data(as_text=True)
    assert len(list(csv.DictReader(io.StringIO(some)))) == 2
    assert ("operator@example.com", "payment.export", "vendor=iamport", "ok") in actions(
        backend.runtime
    )


def test_the_export_keeps_a_spreadsheet_from_running_a_cell(console, backend, receiver):
    table = '=HYPERLINK("http://127.0.0.1:9/","orders")'
    history_id, _ = pay(backend, receiver.url, 1000, table=table)
    text = console.http.get(f"/console/payments.csv?id={history_id}").get_data(as_text=True)
    [row] = list(csv.DictReader(io.StringIO(text)))
    assert row["source_table"] == "'" + table


def test_an_operator_refunds_part_with_a_reason_and_sees_it_in_the_timeline(
    console, backend, receiver
):
    history_id, uid = pay(backend, receiver.url, 20000)
    form = refund_form(console, history_id)
    answer = console.post(
        f"/console/payments/{history_id}/refund",
        {**form, "amount": "5000", "reason": "customer returned one item"},
    )
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"/console/payments/{history_id}"
    assert stored_payment(backend, history_id).refund == 5000

    webhook = receiver.wait_for(lambda w: w.current.id == history_id)
    assert webhook.current.refund == 5000
    wait_until(lambda: webhook_states(backend, history_id) == [("delivered", 1)])

    page = console.http.get(f"/console/payments/{history_id}")
    assert "Refunded 5000 KRW" in page.text  # the flash
    assert "asked by operator operator@example.com" in page.text
    assert "reason: customer returned one item" in page.text
    assert "Webhook to the calling service, after a refund" in page.text
    assert page.text.count('class="attempt"') == 1
    assert uid in page.text
    assert actions(backend.runtime)[1:] == [
        ("operator@example.com", "payment.view", history_id, "ok"),
        ("operator@example.com", "payment.refund", history_id, "ok"),
        ("operator@example.com", "payment.view", history_id, "ok"),
    ]


def test_a_form_submitted_twice_refunds_once(console, backend, receiver):
    history_id, _ = pay(backend, receiver.url, 20000)
    form = {**refund_form(console, history_id), "amount": "3000", "reason": "double click"}
    first = console.post(f"/console/payments/{history_id}/refund", form)
    second = console.post(f"/console/payments/{history_id}/refund", form)
    assert (first.status_code, second.status_code) == (303, 303)
    assert stored_payment(backend, history_id).refund == 3000
    page = console.http.get(f"/console/payments/{history_id}")
    assert "nothing was refunded twice" in page.text
    refunds = [a for a in actions(backend.runtime) if a[1] == "payment.refund"]
    assert refunds == [("operator@example.com", "payment.refund", history_id, "ok")]


def test_an_empty_amount_refunds_the_rest(console, backend, receiver):
    history_id, _ = pay(backend, receiver.url, 20000)
    for amount in ("4000", ""):
        form = {**refund_form(console, history_id), "amount": amount, "reason": "closing"}
        assert console.post(f"/console/payments/{history_id}/refund", form).status_code == 303
    assert stored_payment(backend, history_id).refund == 20000
    assert "Nothing left to refund." in console.http.get(f"/console/payments/{history_id}").text
    refunded = console.http.get("/console/payments?status=refunded").text
    assert listed_ids(refunded) == [history_id]


@pytest.mark.parametrize(
    ("amount", "reason", "status", "message"),
    [
        ("25000", "too much", 422, "exceeds the refundable remainder 20000"),
        ("100.5", "decimals", 400, "Request body data is not following the promised type."),
        ("5000", "", 400, "A refund needs a reason."),
        ("-5", "negative", 400, "more than zero"),
        ("five", "words", 400, "is not an amount"),
    ],
)
def test_a_refused_refund_says_why_as_the_api_would_and_changes_nothing(
    console, backend, receiver, amount, reason, status, message
):
    history_id, _ = pay(backend, receiver.url, 20000)
    form = {**refund_form(console, history_id), "amount": amount, "reason": reason}
    answer = console.post(f"/console/payments/{history_id}/refund", form)
    assert answer.status_code == status
    assert message in answer.text
    assert not stored_payment(backend, history_id).refund
    assert webhook_states(backend, history_id) == []


def test_a_viewer_can_look_but_not_refund(backend, receiver):
    add_operator(backend.runtime, "viewer@example.com", "viewer")
    assert backend.app is not None
    viewer = Console.of(backend.app).logged_in("viewer@example.com")
    history_id, _ = pay(backend, receiver.url, 20000)
    page = viewer.http.get(f"/console/payments/{history_id}")
    assert page.status_code == 200
    assert 'name="submission_key"' not in page.text
    answer = viewer.post(
        f"/console/payments/{history_id}/refund",
        {"submission_key": "k", "amount": "100", "reason": "let me"},
    )
    assert answer.status_code == 403
    assert not stored_payment(backend, history_id).refund


def test_a_failed_webhook_is_resent_with_a_reason(console, backend, receiver):
    history_id, _ = pay(backend, receiver.url, 20000)
    form = {**refund_form(console, history_id), "amount": "1000", "reason": "partial"}
    console.post(f"/console/payments/{history_id}/refund", form)
    receiver.wait_for_count(1)
    wait_until(lambda: webhook_states(backend, history_id) == [("delivered", 1)])
    fail_webhooks(backend, history_id)

    listing = console.http.get("/console/webhooks?status=failed")
    ids = re.findall(r'data-id="([0-9a-f-]{36})"', listing.text)
    assert len(ids) == 1
    refused = console.post(f"/console/webhooks/{ids[0]}/resend", {"reason": ""})
    assert refused.status_code == 400
    assert webhook_states(backend, history_id) == [("failed", 1)]

    answer = console.post(f"/console/webhooks/{ids[0]}/resend", {"reason": "receiver fixed"})
    assert answer.status_code == 303
    receiver.wait_for_count(2)
    wait_until(lambda: webhook_states(backend, history_id) == [("delivered", 2)])
    assert ("operator@example.com", "webhook.resend", ids[0], "ok") in actions(backend.runtime)
    assert console.post("/console/webhooks/nothing/resend", {"reason": "x"}).status_code == 404


def test_every_failed_webhook_of_a_filter_is_resent(console, backend, receiver):
    first, _ = pay(backend, receiver.url, 20000)
    second, _ = pay(backend, receiver.url, 20000)
    for history_id in (first, second):
        form = {**refund_form(console, history_id), "amount": "1000", "reason": "partial"}
        console.post(f"/console/payments/{history_id}/refund", form)
    receiver.wait_for_count(2)
    for history_id in (first, second):
        wait_until(lambda h=history_id: webhook_states(backend, h) == [("delivered", 1)])
        fail_webhooks(backend, history_id)
    answer = console.post(f"/console/webhooks/resend?payment_id={first}", {"reason": "fixed"})
    assert answer.status_code == 303
    wait_until(lambda: webhook_states(backend, first) == [("delivered", 2)])
    assert webhook_states(backend, second) == [("failed", 1)]
    console.post("/console/webhooks/resend", {"reason": "all of them"})
    wait_until(lambda: webhook_states(backend, second) == [("delivered", 2)])


def test_the_overview_and_the_reservations_render(console, backend, receiver):
    pay(backend, receiver.url, 20000)
    page = console.http.get("/console/")
    assert page.status_code == 200
    assert "Payments per hour (1)" in page.text
    assert "<svg" in page.text
    assert console.http.get("/console/reservations").status_code == 200


def test_refused_approvals_are_counted_on_the_overview_and_purged_after_a_week(
    console, backend, receiver
):
    order_id = str(uuid.uuid4())
    uid = backend.customer.pay_by_card("iamport", 20000, order_id)
    source = {"schema": "shop", "table": "orders", "id": order_id}
    # The order says 30,000 but the customer paid 20,000: refused (and cancelled).
    with (
        PaymentClient(backend.url, backend.key, backend.iv) as client,
        pytest.raises(Unprocessable),
    ):
        register(
            client,
            ("iamport", IAMPORT_STORE, uid),
            source,
            password="the shop's password",
            webhook_url=receiver.url,
            price=30000,
        )
    with backend.runtime.database.reading() as session:
        [(vendor, reason)] = session.execute(
            select(ApprovalFailure.vendor_code, ApprovalFailure.reason)
        ).all()
    assert (vendor, reason) == ("iamport", "PaymentMismatch")

    page = console.http.get("/console/").text
    assert "Approval failures per hour (1)" in page
    assert "Payments per hour (0)" in page

    backend.run_housekeeping(now=backend.runtime.clock() + timedelta(days=8))
    assert "Approval failures per hour (0)" in console.http.get("/console/").text

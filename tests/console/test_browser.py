"""The console in Chromium (Playwright): an operator made with the CLI's code logs in, finds
a payment by its gateway uid, reads its history, refunds part of it with a reason, sees the
refund and its webhook's delivery in the timeline, and resends a failed webhook; a viewer
cannot refund. Every page is checked to ask nothing of any host but the server's and to log
no console error (`guarded_page`); a screenshot of each screen lands in the test's tmp dir."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from payment_service.healing import findings
from payment_service.testing import PaymentBackend
from tests.checkout.browser import Browsing
from tests.support.servers import wait_until

from .support import (
    PASSWORD,
    actions,
    add_operator,
    fail_webhooks,
    pay,
    stored_payment,
    webhook_states,
)

# One database is enough here: the Flask-client tests cover both.
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def log_in(page: Page, url: str, email: str) -> None:
    page.goto(f"{url}/console/")
    expect(page).to_have_url(re.compile(r"/console/login\?next="))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("header .who")).to_contain_text(email)


def test_an_operator_finds_refunds_and_resends(
    guarded_page: Browsing, backend: PaymentBackend, receiver, tmp_path
):
    page, url = guarded_page.page, backend.url
    add_operator(backend.runtime, "admin@example.com", "admin")
    history_id, uid = pay(backend, receiver.url, 20000)
    pay(backend, receiver.url, 9000)  # another, which the search must leave out

    log_in(page, url, "admin@example.com")
    expect(page.get_by_role("heading", name="The last 24 hours")).to_be_visible()
    guarded_page.screenshot(tmp_path, "overview")

    page.get_by_role("link", name="Payments", exact=True).click()
    page.get_by_label("Gateway uid").fill(uid)
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("1 payment(s)")).to_be_visible()
    guarded_page.screenshot(tmp_path, "payments")

    page.locator(f'a[href="/console/payments/{history_id}"]').click()
    expect(page.locator("code.uid")).to_have_text(uid)
    page.get_by_label("Amount").fill("5000")
    page.get_by_label("Reason").fill("customer returned one item")
    page.get_by_role("button", name="Refund").click()
    expect(page.get_by_role("status")).to_contain_text("Refunded 5000 KRW")
    assert stored_payment(backend, history_id).refund == 5000

    receiver.wait_for(lambda webhook: webhook.current.id == history_id)
    wait_until(lambda: webhook_states(backend, history_id) == [("delivered", 1)])
    page.reload()
    timeline = page.locator("ol.timeline")
    expect(timeline).to_contain_text("asked by operator admin@example.com")
    expect(timeline).to_contain_text("reason: customer returned one item")
    expect(timeline.locator("tr.attempt")).to_have_count(1)
    expect(timeline.locator(".state.delivered")).to_be_visible()
    guarded_page.screenshot(tmp_path, "payment")

    fail_webhooks(backend, history_id)
    page.get_by_role("link", name="Webhooks").click()
    page.get_by_label("Status").select_option("failed")
    page.get_by_role("button", name="Filter").click()
    row = page.locator("tr.webhook.failed")
    expect(row).to_have_count(1)
    guarded_page.screenshot(tmp_path, "webhooks")
    row.get_by_placeholder("reason").fill("receiver fixed")
    row.get_by_role("button", name="Resend").click()
    expect(page.get_by_role("status")).to_contain_text("will be sent again")
    wait_until(lambda: webhook_states(backend, history_id) == [("delivered", 2)])

    page.get_by_role("link", name="Audit").click()
    expect(page.locator("tr.entry")).to_have_count(len(actions(backend.runtime)))
    expect(page.locator("table.audit")).to_contain_text("webhook.resend")
    guarded_page.screenshot(tmp_path, "audit")
    page.get_by_role("link", name="Operators").click()
    guarded_page.screenshot(tmp_path, "operators")

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    done = [entry[1] for entry in actions(backend.runtime)]
    assert done[0] == "login" and done[-1] == "logout"
    assert "payment.refund" in done and "webhook.resend" in done


def test_a_viewer_reads_but_finds_no_refund_or_resend(
    guarded_page: Browsing, backend: PaymentBackend, receiver, tmp_path
):
    page, url = guarded_page.page, backend.url
    add_operator(backend.runtime, "viewer@example.com", "viewer")
    history_id, _ = pay(backend, receiver.url, 20000)
    log_in(page, url, "viewer@example.com")
    page.goto(f"{url}/console/payments/{history_id}")
    expect(page.locator("ol.timeline")).to_contain_text("Approved by iamport")
    expect(page.get_by_role("button", name="Refund")).to_have_count(0)
    expect(page.get_by_role("link", name="Audit")).to_have_count(0)
    guarded_page.screenshot(tmp_path, "viewer-payment")
    # Asked with the page's cookies but outside the page: a 403 page would log its status as
    # a console error, which the guard counts.
    refused = page.request.get(f"{url}/console/audit")
    assert refused.status == 403
    assert "Your role does not allow this." in refused.text()


def test_an_operator_reconciles_and_resolves_findings_in_bulk(
    guarded_page: Browsing, backend: PaymentBackend, tmp_path
):
    page, url = guarded_page.page, backend.url
    add_operator(backend.runtime, "operator@example.com", "operator")
    uids = [backend.customer.pay_by_card("iamport", 1000, str(uuid.uuid4())) for _ in range(2)]
    now = backend.runtime.clock()
    log_in(page, url, "operator@example.com")
    page.get_by_role("link", name="Reconciliation").click()
    page.get_by_label("From").fill((now - timedelta(hours=1)).isoformat())
    page.get_by_label("until").fill((now + timedelta(hours=1)).isoformat())
    page.get_by_role("button", name="Reconcile now").click()
    expect(page.get_by_role("status").first).to_contain_text("Reconciled iamport")
    for uid in uids:
        page.get_by_label(f"select {uid}").check()
    page.get_by_label("Reason").fill("test payments of the shop")
    guarded_page.screenshot(tmp_path, "reconciliation")
    page.get_by_role("button", name="Ignore selected").click()
    expect(page.get_by_role("status").first).to_contain_text("2 finding(s) ignored")
    ignored = [f for f in findings.list_findings(backend.runtime, state="ignored")]
    assert sorted(f.vendor_uid for f in ignored) == sorted(uids)

"""The demo shop of `payment-service serve --with-fakes` (what `make run` starts), in Chromium,
for each gateway and each outcome of its window: what the page shows, what payment-service
recorded (read through its API with the shop's password), and the webhooks the shop received.

The server runs as users run it: a subprocess with two gunicorn workers, so that the page's
requests and payment-service's webhooks land in either worker.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Page, expect

from payment_service.client import NotFound, PaymentClient, PaymentHistory
from payment_service.settings import Settings
from payment_service.testing.checkout import complete_checkout
from tests.checkout.browser import Browsing
from tests.support.servers import free_port, wait_for_health

VENDORS = {"iamport": "iamport", "toss": "toss.payments", "portone": "portone"}
SOURCE = {"schema": "demo_shop", "table": "orders"}
# Words of the fakes' messages for a window that took no money.
WHY = {"decline": "declined", "cancel": "closed the"}
SHOP_LINE = re.compile(r"demo shop: (\S+)/demo \(orders and webhooks in (.+)\)")


@dataclass
class Demo:
    url: str
    inbox: Path

    def password(self, order_id: str) -> str:
        order = json.loads((self.inbox / "orders" / f"{order_id}.json").read_text("utf-8"))
        return str(order["password"])

    def history(self, order_id: str) -> PaymentHistory:
        """The order's payment, read from payment-service's API with the shop's password."""
        connection = Settings.load(environ={}, env_file=None).keys.connection
        with PaymentClient(self.url, connection.key, connection.iv) as client:
            source = {**SOURCE, "id": order_id}
            return client.histories.get(source=source, password=self.password(order_id))

    def shop_view(self, order_id: str) -> dict:
        """What the shop's server knows of the order."""
        answer = requests.get(f"{self.url}/demo/orders/{order_id}", timeout=30)
        assert answer.status_code == 200, answer.text
        return answer.json()


PORT_TAKEN = "the port is already in use"
ATTEMPTS = 3


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """`payment-service serve --with-fakes` in local mode, on free ports, in a directory of its
    own (its SQLite database is made there, as `make run` makes it in the checkout).

    A port found free may be taken by another test's server before this one binds it (they
    run side by side): the server then says so and exits, and it is started again on other
    ports — any other early exit fails the test."""
    directory = tmp_path_factory.mktemp("demo")
    environ = {key: value for key, value in os.environ.items() if not key.startswith("PAYMENT_")}
    log = directory / "serve.log"
    inbox: Path | None = None
    for attempt in range(1, ATTEMPTS + 1):
        port = free_port()
        command = [sys.executable, "-m", "payment_service.cli", "serve", "--with-fakes"]
        command += ["--port", str(port), "--workers", "2"]
        for fake in ("iamport", "toss", "portone"):
            command += [f"--{fake}-port", str(free_port())]
        with log.open("w") as output:
            server = subprocess.Popen(
                command,
                cwd=directory,
                env=environ,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_for_health(url, server)
            break
        except BaseException as error:
            # Whatever stopped the wait (a timeout, an interrupt too), the server goes with it.
            server.terminate()
            server.wait(timeout=30)
            if not isinstance(error, AssertionError):
                raise
            if attempt == ATTEMPTS or PORT_TAKEN not in log.read_text("utf-8"):
                raise AssertionError(log.read_text("utf-8")) from error
    try:
        found = SHOP_LINE.search(log.read_text("utf-8"))
        assert found, log.read_text("utf-8")
        assert found.group(1) == url
        inbox = Path(found.group(2))
        yield Demo(url, inbox)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert server.returncode == 0, log.read_text("utf-8")
    # The shop's files go with the server.
    assert inbox is not None and not inbox.exists()


def text(page: Page, testid: str) -> str:
    return page.get_by_test_id(testid).inner_text()


def open_window(browsing: Browsing, demo: Demo, vendor: str) -> None:
    """Load the shop and press its button for `vendor`."""
    browsing.page.goto(f"{demo.url}/demo")
    browsing.page.get_by_test_id(f"demo-pay-{vendor}").click()


def paid_for(page: Page, outcome: str) -> str:
    """Answer the window with `outcome`; the order id the shop then shows."""
    complete_checkout(page, outcome)
    expect(page.get_by_test_id("demo-status")).to_have_text(re.compile(r"^(?!…$).+"))
    return text(page, "demo-order-id")


@pytest.mark.parametrize("vendor", VENDORS)
def test_the_demo_pays_by_card_and_shows_the_refund_webhook(
    guarded_page: Browsing, demo: Demo, vendor: str, tmp_path: Path
):
    page = guarded_page.page
    open_window(guarded_page, demo, vendor)
    expect(page.frame_locator("iframe").get_by_test_id("checkout-amount")).to_have_text(
        "20,000 KRW"
    )
    guarded_page.screenshot(tmp_path, f"demo-{vendor}-window")
    order_id = paid_for(page, "pay-card")
    expect(page.get_by_test_id("demo-status")).to_have_text("paid")
    expect(page.get_by_test_id("demo-amount")).to_have_text("20,000 KRW")
    expect(page.get_by_test_id("demo-no-webhooks")).to_be_visible()
    guarded_page.screenshot(tmp_path, f"demo-{vendor}-paid")

    history = demo.history(order_id)
    assert text(page, "demo-history-id") == history.id
    assert (history.vendor_code, history.price, history.refund) == (VENDORS[vendor], 20000, None)
    assert history.paid_at is not None

    page.get_by_test_id("demo-refund").click()
    webhook = page.get_by_test_id("demo-webhook")
    expect(webhook).to_have_count(1, timeout=20_000)
    expect(webhook).to_contain_text("paid → refunded, refund 20,000")
    expect(page.get_by_test_id("demo-status")).to_have_text("refunded")
    guarded_page.screenshot(tmp_path, f"demo-{vendor}-refunded")
    assert demo.history(order_id).refund == 20000
    (kept,) = demo.shop_view(order_id)["webhooks"]
    assert kept["id"] in webhook.inner_text()
    assert (kept["before"], kept["after"], kept["refund"]) == ("paid", "refunded", 20000)


@pytest.mark.parametrize("vendor", VENDORS)
def test_the_demo_issues_a_virtual_account_and_shows_the_deposit_webhook(
    guarded_page: Browsing, demo: Demo, vendor: str, tmp_path: Path
):
    page = guarded_page.page
    open_window(guarded_page, demo, vendor)
    order_id = paid_for(page, "issue-vbank")
    expect(page.get_by_test_id("demo-status")).to_have_text("waiting for deposit")
    assert demo.history(order_id).paid_at is None
    assert demo.shop_view(order_id)["webhooks"] == []

    with guarded_page.context.expect_page() as opened:
        page.get_by_test_id("demo-deposit").click()
    bank = opened.value
    expect(bank.get_by_test_id("bank-amount")).to_have_text("20,000 KRW")
    guarded_page.screenshot(tmp_path, f"demo-{vendor}-waiting")
    bank.screenshot(path=tmp_path / f"demo-{vendor}-bank.png")
    bank.get_by_test_id("deposit").click()
    expect(bank.get_by_test_id("bank-status")).to_be_visible()

    webhook = page.get_by_test_id("demo-webhook")
    expect(webhook).to_have_count(1, timeout=20_000)
    expect(webhook).to_contain_text("waiting for deposit → paid")
    expect(page.get_by_test_id("demo-status")).to_have_text("paid")
    guarded_page.screenshot(tmp_path, f"demo-{vendor}-deposited")
    history = demo.history(order_id)
    assert history.paid_at is not None and history.price == 20000


@pytest.mark.parametrize("outcome", WHY)
@pytest.mark.parametrize("vendor", VENDORS)
def test_the_demo_records_nothing_for_a_window_that_took_no_money_and_says_why(
    guarded_page: Browsing, demo: Demo, vendor: str, outcome: str, tmp_path: Path
):
    page = guarded_page.page
    open_window(guarded_page, demo, vendor)
    order_id = paid_for(page, outcome)
    expect(page.get_by_test_id("demo-status")).to_have_text("not paid")
    message = page.get_by_test_id("demo-message")
    expect(message).to_contain_text("No payment")
    expect(message).to_contain_text(WHY[outcome])
    expect(message).to_contain_text("Nothing was charged or recorded.")
    expect(page.get_by_test_id("demo-refund")).to_be_hidden()
    guarded_page.screenshot(tmp_path, f"demo-{vendor}-{outcome}")
    with pytest.raises(NotFound):
        demo.history(order_id)
    # payment-service reports changes of what it recorded only: there is nothing to report.
    view = demo.shop_view(order_id)
    assert (view["payment"], view["webhooks"]) == (None, [])

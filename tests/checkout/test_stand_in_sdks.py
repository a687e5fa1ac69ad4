"""Each stand-in browser SDK, called by a minimal merchant page exactly as the real SDK's
documentation calls it, in Chromium: the window each opens (over the page, as a popup, or
instead of the page), and the callback, promise or return address the page gets."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask, request
from playwright.sync_api import expect

from fake_servers.common.server import ServerThread
from fake_servers.portone import DEFAULT_CHANNEL_KEY, DEFAULT_STORE_ID
from fake_servers.toss import DEFAULT_CLIENT_KEY
from payment_service.testing.checkout import complete_checkout
from tests.checkout.browser import Browsing, watch
from tests.checkout.fakes import Fakes, started_fakes
from tests.checkout.windows import AMOUNT, ORDER_NAME, new_order_id

# What each page's "Pay" button calls, with `window.next` (set by the test) as its arguments;
# whatever the SDK hands back is recorded in `window.results`.
CALLS = {
    "iamport": """
      if (!next.skipInit) IMP.init("imp00000000");
      IMP.request_pay(next.params, next.noCallback ? undefined : record);
    """,
    "toss": """
      TossPayments(next.clientKey).requestPayment(next.method, next.params).then(
        (value) => record({ resolved: value }),
        (error) => record({ rejected: { code: error.code, message: error.message,
                                        isError: error instanceof Error } }));
    """,
    "portone": """
      PortOne.requestPayment(next.params).then(
        (value) => record({ resolved: value }),
        (error) => record({ rejected: { name: error.name, code: error.code,
                                        message: error.message,
                                        transactionType: error.transactionType,
                                        isPortOneError: PortOne.isPortOneError(error) } }));
    """,
}
SCRIPTS = {"iamport": "/v1/iamport.js", "toss": "/v1/payment", "portone": "/v2/browser-sdk.js"}
PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<script src="{script}"></script></head>
<body><button id="pay">Pay</button><pre id="result"></pre>
<script>
  window.results = [];
  function record(value) {{
    window.results.push(value);
    document.getElementById("result").textContent = JSON.stringify(value);
  }}
  document.getElementById("pay").addEventListener("click", () => {{
    const next = window.next;
    {call}
  }});
</script></body></html>
"""
BACK = """<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">
</head><body><h1>Back at the shop</h1></body></html>"""


@pytest.fixture(scope="module")
def fakes() -> Iterator[Fakes]:
    with started_fakes() as fakes:
        yield fakes


@pytest.fixture(scope="module")
def shop(fakes: Fakes) -> Iterator[str]:
    """A merchant's pages, one per gateway (`/<gateway>`), and a page to come back to."""
    app = Flask("merchant")

    @app.get("/<gateway>")
    def page(gateway: str) -> str:
        script = fakes[gateway].url + SCRIPTS[gateway]
        return PAGE.format(script=script, call=CALLS[gateway])

    @app.get("/back")
    def back() -> str:
        assert request.args  # the gateway's answer is in the query
        return BACK

    with ServerThread(app, quiet=True) as server:
        yield server.url


def pay(browsing: Browsing, shop: str, gateway: str, arguments: dict[str, Any]) -> None:
    """Open the page of `gateway` and press its button, which calls the SDK with `arguments`."""
    page = browsing.page
    if not page.url.startswith(f"{shop}/{gateway}"):
        page.goto(f"{shop}/{gateway}")
    page.evaluate("arguments => { window.next = arguments; }", arguments)
    page.click("#pay")


def answered(browsing: Browsing, count: int = 1) -> Any:
    """What the SDK handed the page last, once it has handed `count` answers."""
    page = browsing.page
    page.wait_for_function(f"window.results.length >= {count}")
    return page.evaluate("window.results")[-1]


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def no_window_opened(browsing: Browsing) -> None:
    assert browsing.page.locator("iframe").count() == 0
    assert browsing.context.pages == [browsing.page]


def iamport_params(**more: Any) -> dict[str, Any]:
    params = {
        "pg": "html5_inicis",
        "pay_method": "card",
        "merchant_uid": new_order_id(),
        "name": ORDER_NAME,
        "amount": AMOUNT,
        "buyer_name": "Hong Gildong",
        "buyer_tel": "010-4242-4242",
    }
    return {**params, **more}


def toss_params(**more: Any) -> dict[str, Any]:
    return {"amount": AMOUNT, "orderId": new_order_id(), "orderName": ORDER_NAME, **more}


def portone_params(**more: Any) -> dict[str, Any]:
    return {
        "storeId": DEFAULT_STORE_ID,
        "channelKey": DEFAULT_CHANNEL_KEY,
        "paymentId": f"payment-{new_order_id()}",
        "orderName": ORDER_NAME,
        "totalAmount": AMOUNT,
        "currency": "KRW",
        "payMethod": "CARD",
        **more,
    }


# ---- iamport: IMP.init, IMP.request_pay(params, callback) ---------------------------------


def test_iamport_calls_back_with_the_payment_made_in_the_window_over_the_page(
    guarded_page, shop, fakes, tmp_path
):
    params = iamport_params()
    pay(guarded_page, shop, "iamport", {"params": params})
    window = guarded_page.page.frame_locator("iframe").locator("[data-fake-checkout]")
    expect(window).to_contain_text("20,000 KRW")
    guarded_page.screenshot(tmp_path, "iamport-window")
    complete_checkout(guarded_page.page, "pay-card")
    response = answered(guarded_page)
    assert response["success"] is True
    assert response["merchant_uid"] == params["merchant_uid"]
    assert (response["paid_amount"], response["status"], response["pay_method"]) == (
        AMOUNT,
        "paid",
        "card",
    )
    assert response["pg_provider"] == "html5_inicis" and response["buyer_name"] == "Hong Gildong"
    assert fakes["iamport"].payment(response["imp_uid"])["status"] == "paid"
    # The window is gone from the page.
    expect(guarded_page.page.locator("iframe")).to_have_count(0)


def test_iamport_calls_back_with_a_failure_when_the_customer_closes_the_popup(
    guarded_page, shop, fakes
):
    with guarded_page.context.expect_page() as opened:
        pay(guarded_page, shop, "iamport", {"params": iamport_params(popup=True)})
    popup = opened.value
    expect(popup.get_by_test_id("pay-card")).to_be_visible()
    popup.close()  # the customer closes the window instead of answering
    response = answered(guarded_page)
    assert response["success"] is False
    assert response["error_code"] == "USER_CANCEL" and response["error_msg"]
    assert fakes["iamport"].payment(response["imp_uid"])["status"] == "failed"


def test_iamport_without_a_callback_leaves_for_the_window_and_comes_back(guarded_page, shop, fakes):
    params = iamport_params(pay_method="vbank", m_redirect_url=f"{shop}/back?cart=7")
    pay(guarded_page, shop, "iamport", {"params": params, "noCallback": True})
    complete_checkout(guarded_page.page, "issue-vbank")
    guarded_page.page.wait_for_url(f"{shop}/back?**")
    query = query_of(guarded_page.page.url)
    assert query["cart"] == "7" and query["imp_success"] == "true"
    assert query["merchant_uid"] == params["merchant_uid"]
    assert fakes["iamport"].payment(query["imp_uid"])["status"] == "ready"


@pytest.mark.parametrize(
    ("arguments", "code"),
    [
        ({"params": iamport_params(), "skipInit": True}, "NOT_INITIALIZED"),
        ({"params": iamport_params(amount=0)}, "INVALID_PARAMETER"),
    ],
    ids=["without-init", "amount-0"],
)
def test_iamport_refusals_reach_the_callback_without_a_window(guarded_page, shop, arguments, code):
    pay(guarded_page, shop, "iamport", arguments)
    response = answered(guarded_page)
    assert response["success"] is False and response["imp_uid"] is None
    assert response["error_code"] == code
    no_window_opened(guarded_page)


# ---- Toss: TossPayments(clientKey).requestPayment(method, params) --------------------------


def test_toss_resolves_with_the_payment_key_without_return_urls(guarded_page, shop, fakes):
    params = toss_params()
    pay(
        guarded_page,
        shop,
        "toss",
        {"clientKey": DEFAULT_CLIENT_KEY, "method": "카드", "params": params},
    )
    complete_checkout(guarded_page.page, "pay-card")
    resolved = answered(guarded_page)["resolved"]
    assert resolved == {
        "paymentType": "NORMAL",
        "paymentKey": resolved["paymentKey"],
        "orderId": params["orderId"],
        "amount": AMOUNT,
    }
    # Left for the merchant's server to approve.
    assert fakes["toss"].payment(resolved["paymentKey"])["status"] == "IN_PROGRESS"


def test_toss_rejects_with_user_cancel_when_the_customer_cancels(guarded_page, shop):
    arguments = {"clientKey": DEFAULT_CLIENT_KEY, "method": "CARD", "params": toss_params()}
    pay(guarded_page, shop, "toss", arguments)
    complete_checkout(guarded_page.page, "cancel")
    rejected = answered(guarded_page)["rejected"]
    assert rejected["isError"] is True and rejected["code"] == "USER_CANCEL"


def test_toss_sends_the_page_to_its_fail_url_when_the_card_is_declined(guarded_page, shop):
    params = toss_params(successUrl=f"{shop}/back?to=success", failUrl=f"{shop}/back?to=fail")
    pay(
        guarded_page,
        shop,
        "toss",
        {"clientKey": DEFAULT_CLIENT_KEY, "method": "카드", "params": params},
    )
    complete_checkout(guarded_page.page, "decline")
    guarded_page.page.wait_for_url(f"{shop}/back?**")
    query = query_of(guarded_page.page.url)
    assert query == {
        "to": "fail",
        "code": "REJECT_CARD_COMPANY",
        "message": query["message"],
        "orderId": params["orderId"],
    }


def test_toss_in_the_page_itself_returns_to_its_success_url(guarded_page, shop, fakes):
    params = toss_params(
        successUrl=f"{shop}/back?to=success", failUrl=f"{shop}/back?to=fail", windowTarget="self"
    )
    arguments = {"clientKey": DEFAULT_CLIENT_KEY, "method": "가상계좌", "params": params}
    pay(guarded_page, shop, "toss", arguments)
    # The window replaced the page.
    guarded_page.page.wait_for_url("**/checkout/windows/*")
    complete_checkout(guarded_page.page, "issue-vbank")
    guarded_page.page.wait_for_url(f"{shop}/back?**")
    query = query_of(guarded_page.page.url)
    assert query["to"] == "success" and query["orderId"] == params["orderId"]
    assert query["amount"] == str(AMOUNT) and query["paymentType"] == "NORMAL"
    assert fakes["toss"].payment(query["paymentKey"])["status"] == "WAITING_FOR_DEPOSIT"


def test_toss_refuses_a_live_client_key_at_once(guarded_page, shop):
    arguments = {"clientKey": "live_ck_someone", "method": "카드", "params": toss_params()}
    pay(guarded_page, shop, "toss", arguments)
    rejected = answered(guarded_page)["rejected"]
    assert rejected["code"] == "INVALID_CLIENT_KEY" and rejected["isError"] is True
    no_window_opened(guarded_page)


# ---- PortOne V2: PortOne.requestPayment(params) -------------------------------------------


def test_portone_resolves_with_the_transaction_of_the_window(guarded_page, shop, fakes):
    params = portone_params(customData={"orderId": "order-7"})
    pay(guarded_page, shop, "portone", {"params": params})
    complete_checkout(guarded_page.page, "pay-card")
    resolved = answered(guarded_page)["resolved"]
    assert resolved == {
        "transactionType": "PAYMENT",
        "paymentId": params["paymentId"],
        "txId": resolved["txId"],
    }
    payment = fakes["portone"].payment(params["paymentId"])
    assert payment["status"] == "PAID" and payment["transactionId"] == resolved["txId"]
    assert json.loads(payment["customData"]) == {"orderId": "order-7"}


def test_portone_resolves_with_the_failure_of_a_declined_card_in_a_popup(guarded_page, shop):
    params = portone_params(windowType={"pc": "POPUP"})
    pay(guarded_page, shop, "portone", {"params": params})
    complete_checkout(guarded_page.page, "decline")
    resolved = answered(guarded_page)["resolved"]
    assert resolved["code"] == "FAILURE_TYPE_PG" and resolved["pgCode"] == "REJECT_CARD_COMPANY"
    assert resolved["paymentId"] == params["paymentId"] and resolved["txId"]
    assert guarded_page.page.locator("iframe").count() == 0  # it was a popup, now closed


@pytest.mark.parametrize(
    ("more", "outcome", "expected"),
    [
        ({"windowType": {"pc": "REDIRECTION"}}, "issue-vbank", None),
        ({"forceRedirect": True}, "cancel", "FAILURE_TYPE_PG"),
    ],
    ids=["redirection", "force-redirect"],
)
def test_portone_returns_to_the_redirect_url(guarded_page, shop, fakes, more, outcome, expected):
    params = portone_params(redirectUrl=f"{shop}/back", **more)
    pay(guarded_page, shop, "portone", {"params": params})
    complete_checkout(guarded_page.page, outcome)
    guarded_page.page.wait_for_url(f"{shop}/back?**")
    query = query_of(guarded_page.page.url)
    assert query["paymentId"] == params["paymentId"] and query["transactionType"] == "PAYMENT"
    assert query.get("code") == expected
    payment = fakes["portone"].payment(params["paymentId"])
    assert payment["transactionId"] == query["txId"]


def test_portone_rejects_a_request_for_another_store(guarded_page, shop):
    pay(guarded_page, shop, "portone", {"params": portone_params(storeId="store-nobody")})
    rejected = answered(guarded_page)["rejected"]
    assert rejected == {
        "name": "PaymentError",
        "code": "StoreNotFound",
        "message": rejected["message"],
        "transactionType": "PAYMENT",
        "isPortOneError": True,
    }
    no_window_opened(guarded_page)


# ---- the guard every browser test runs under ------------------------------------------------


def test_the_guard_sees_a_request_leaving_this_machine_and_a_console_error(page, context):
    browsing = watch(page, context)
    page.set_content('<img src="http://example.com/pixel.png"><script>console.error("x")</script>')
    problems = browsing.problems()
    assert "request to http://example.com/pixel.png" in problems
    assert any(problem.startswith("console: x") for problem in problems)

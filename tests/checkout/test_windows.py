"""The fakes' checkout windows over HTTP: the stand-in scripts, what a page may ask for, what
each outcome leaves at the fake (the records its API serves, and its webhooks), and the bank.
The browser tests (test_stand_in_sdks.py) drive the same routes through the scripts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from fake_servers.common.checkout import OUTCOMES
from fake_servers.portone import DEFAULT_STORE_ID
from tests.checkout.fakes import Fakes, api_payment, last_webhook_status, payment_of, started_fakes
from tests.checkout.windows import (
    AMOUNT,
    GATEWAY_IDS,
    GATEWAYS,
    ORDER_NAME,
    Gateway,
    checkout,
    finish,
    new_order_id,
    open_window,
)

SCRIPTS = {
    "iamport": (["/v1/iamport.js"], "window.IMP = "),
    "toss": (["/v1/payment", "/v1"], "window.TossPayments = "),
    "portone": (["/v2/browser-sdk.js"], "window.PortOne = "),
}
# What each outcome leaves at the fake: the payment's status there, and its webhook's.
LEFT_BEHIND = {
    ("iamport", "pay-card"): ("paid", "paid"),
    ("iamport", "issue-vbank"): ("ready", "ready"),
    ("iamport", "decline"): ("failed", None),
    ("iamport", "cancel"): ("failed", None),
    ("toss", "pay-card"): ("IN_PROGRESS", None),
    ("toss", "issue-vbank"): ("WAITING_FOR_DEPOSIT", "WAITING_FOR_DEPOSIT"),
    ("portone", "pay-card"): ("PAID", "Transaction.Paid"),
    ("portone", "issue-vbank"): ("VIRTUAL_ACCOUNT_ISSUED", "Transaction.VirtualAccountIssued"),
    ("portone", "decline"): ("FAILED", None),
    ("portone", "cancel"): ("FAILED", None),
}
DEPOSITED = {
    "iamport": ("paid", "paid"),
    "toss": ("DONE", "DONE"),
    "portone": ("PAID", "Transaction.Paid"),
}


@pytest.fixture(scope="module")
def fakes() -> Iterator[Fakes]:
    with started_fakes() as fakes:
        yield fakes


@pytest.fixture(params=GATEWAYS, ids=GATEWAY_IDS)
def gateway(request: pytest.FixtureRequest) -> Gateway:
    return request.param


def drained(fake: Any) -> Any:
    assert fake.drain_webhooks()
    return fake


# ---- the stand-in scripts ------------------------------------------------------------------


@pytest.mark.parametrize("name", SCRIPTS)
def test_the_stand_in_script_is_served_at_the_real_path_bound_to_the_fake(fakes, name):
    paths, global_name = SCRIPTS[name]
    for path in paths:
        answer = requests.get(fakes[name].url + path, timeout=10)
        assert answer.status_code == 200
        assert answer.headers["Content-Type"] == "text/javascript; charset=utf-8"
        assert answer.headers["Access-Control-Allow-Origin"] == "*"
        assert answer.headers["Cache-Control"] == "no-store"
        script = answer.text
        assert f'var FAKE_ORIGIN = "{fakes[name].url}";' in script
        assert global_name in script
        # One scope of its own: nothing but the SDK's global leaks into the page.
        assert script.startswith("/*") and script.rstrip().endswith("})();")


# ---- opening a window ----------------------------------------------------------------------


def test_a_window_shows_the_order_and_a_button_per_outcome(fakes, gateway):
    opened = open_window(fakes[gateway.name].url, gateway.request(new_order_id()))
    assert opened.status_code == 201, opened.text
    assert opened.headers["Access-Control-Allow-Origin"] == "*"
    window = opened.json()
    assert window["url"] == f"{fakes[gateway.name].url}/checkout/windows/{window['id']}"
    page = requests.get(window["url"], timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    html = page.text
    assert f'data-fake-checkout="{gateway.name}"' in html
    assert ORDER_NAME in html
    assert "20,000 KRW" in html
    for outcome in OUTCOMES:
        assert f'data-testid="{outcome}"' in html


def test_a_window_is_finished_once(fakes, gateway):
    fake = fakes[gateway.name]
    opened = open_window(fake.url, gateway.request(new_order_id())).json()
    first = finish(fake.url, opened["id"], "pay-card")
    assert first.status_code == 200
    again = finish(fake.url, opened["id"], "decline")
    assert again.status_code == 409
    assert again.json() == {
        "refused": {"code": "ALREADY_COMPLETED", "message": "this checkout window is finished"}
    }
    # The first answer stands: the payment is as paying left it.
    uid = gateway.uid(first.json()["result"])
    assert payment_of(gateway.name, fake, uid)["status"] == LEFT_BEHIND[gateway.name, "pay-card"][0]
    # And the window says it is done.
    assert "This window is finished." in requests.get(opened["url"], timeout=10).text


def test_an_unknown_window_or_outcome_is_not_found(fakes, gateway):
    fake = fakes[gateway.name]
    missing = "00000000-0000-4000-8000-000000000000"
    assert requests.get(f"{fake.url}/checkout/windows/{missing}", timeout=10).status_code == 404
    assert finish(fake.url, missing, "pay-card").json()["refused"]["code"] == "WINDOW_EXPIRED"
    opened = open_window(fake.url, gateway.request(new_order_id())).json()
    answer = finish(fake.url, opened["id"], "pay-twice")
    assert answer.status_code == 404
    assert answer.json()["refused"]["code"] == "UNKNOWN_OUTCOME"


@pytest.mark.parametrize(
    "body",
    ["", "not json", "[]", '{"request": {}, "window": "tab"}', '{"request": {}}'],
    ids=["empty", "not-json", "not-an-object", "unknown-window", "no-window"],
)
def test_a_body_a_script_would_never_send_is_refused(fakes, gateway, body):
    answer = requests.post(f"{fakes[gateway.name].url}/checkout/windows", data=body, timeout=10)
    assert answer.status_code == 400
    assert answer.json()["refused"]["code"] == "INVALID_REQUEST"


# What each SDK refuses before any window opens: (gateway, the page's parameters, code).
REFUSALS = [
    ("iamport", {"merchant_uid": None}, "INVALID_PARAMETER"),
    ("iamport", {"merchant_uid": "  "}, "INVALID_PARAMETER"),
    ("iamport", {"amount": 0}, "INVALID_PARAMETER"),
    ("iamport", {"amount": "20000"}, "INVALID_PARAMETER"),
    ("iamport", {"amount": 100.5}, "INVALID_PARAMETER"),
    ("iamport", {"currency": "GBP"}, "INVALID_PARAMETER"),
    ("iamport", {"m_redirect_url": "javascript:alert(1)"}, "INVALID_PARAMETER"),
    ("iamport", {"vbank_due": "2026-12-31"}, "INVALID_PARAMETER"),
    ("iamport", {"notice_url": ["ftp://x"]}, "INVALID_PARAMETER"),
    ("toss", {"orderId": "short"}, "INVALID_PARAMETER"),
    ("toss", {"orderId": "order id with spaces"}, "INVALID_PARAMETER"),
    ("toss", {"orderName": None}, "INVALID_PARAMETER"),
    ("toss", {"amount": 1.5}, "INVALID_PARAMETER"),
    ("toss", {"successUrl": "http://127.0.0.1:9/ok"}, "INVALID_PARAMETER"),
    ("portone", {"storeId": "store-of-someone-else"}, "StoreNotFound"),
    ("portone", {"channelKey": "channel-key-unknown"}, "ChannelNotFound"),
    ("portone", {"payMethod": "MOBILE"}, "InvalidArgument"),
    ("portone", {"currency": "won"}, "InvalidArgument"),
    ("portone", {"totalAmount": 0}, "InvalidArgument"),
    ("portone", {"windowType": {"pc": "FULLSCREEN"}}, "InvalidArgument"),
    ("portone", {"redirectUrl": "/relative"}, "InvalidArgument"),
]


@pytest.mark.parametrize(("name", "params", "code"), REFUSALS)
def test_what_the_sdk_refuses_opens_no_window_and_records_nothing(fakes, name, params, code):
    fake = fakes[name]
    gateway = next(each for each in GATEWAYS if each.name == name)
    before = len(fake.state.payments), len(fake.state.checkout_windows)
    answer = open_window(fake.url, gateway.request(new_order_id(), **params))
    # A refusal is the SDK's answer, not an HTTP error (which a browser would log).
    assert answer.status_code == 200
    refused = answer.json()["refused"]
    assert refused["code"] == code
    assert refused["message"]
    assert (len(fake.state.payments), len(fake.state.checkout_windows)) == before


@pytest.mark.parametrize(
    ("name", "request_", "code"),
    [
        ("iamport", {"params": {"merchant_uid": "m-1", "amount": 1}}, "INVALID_PARAMETER"),
        (
            "toss",
            {"clientKey": "live_ck_real", "method": "카드", "params": {}},
            "INVALID_CLIENT_KEY",
        ),
        ("toss", {"clientKey": "test_ck_x", "method": "휴대폰", "params": {}}, "INVALID_PARAMETER"),
        ("portone", {"params": None}, "InvalidArgument"),
    ],
    ids=["iamport-without-init", "toss-live-key", "toss-phone-bill", "portone-no-params"],
)
def test_a_request_without_what_the_sdk_needs_is_refused(fakes, name, request_, code):
    answer = open_window(fakes[name].url, request_)
    assert answer.status_code == 200
    assert answer.json()["refused"]["code"] == code


@pytest.mark.parametrize("name", ["iamport", "toss", "portone"])
def test_a_redirecting_window_needs_a_page_to_come_back_to(fakes, name):
    gateway = next(each for each in GATEWAYS if each.name == name)
    answer = open_window(fakes[name].url, gateway.request(new_order_id()), window="redirect")
    assert answer.status_code == 200
    assert re.search(r"m_redirect_url|successUrl|redirectUrl", answer.json()["refused"]["message"])


def test_an_order_that_is_paid_cannot_be_paid_again(fakes, gateway):
    fake = fakes[gateway.name]
    order_id = new_order_id()
    checkout(fake.url, gateway.request(order_id), "pay-card")
    if gateway.name == "toss":
        # Toss refuses an orderId once the payment is approved (a window left it in progress).
        key = next(
            p["paymentKey"] for p in fake.state.payments.values() if p["orderId"] == order_id
        )
        fake.approve(key, order_id, AMOUNT)
    answer = open_window(fake.url, gateway.request(order_id))
    code = {"iamport": "ALREADY_PAID_ORDER", "toss": "DUPLICATED_ORDER_ID"}
    assert answer.json()["refused"]["code"] == code.get(gateway.name, "PaymentAlreadyPaid")


def test_an_order_that_failed_may_be_paid_in_a_new_window(fakes, gateway):
    fake = fakes[gateway.name]
    order_id = new_order_id()
    checkout(fake.url, gateway.request(order_id), "decline")
    paid = checkout(fake.url, gateway.request(order_id), "pay-card")
    uid = gateway.uid(paid["result"])
    assert payment_of(gateway.name, fake, uid)["status"] == LEFT_BEHIND[gateway.name, "pay-card"][0]


# ---- what each outcome leaves at the fake --------------------------------------------------


@pytest.mark.parametrize(("name", "outcome"), [key for key in LEFT_BEHIND])
def test_an_outcome_leaves_the_record_the_api_serves_and_its_webhook(fakes, name, outcome):
    fake = fakes[name]
    gateway = next(each for each in GATEWAYS if each.name == name)
    done = checkout(fake.url, gateway.request(new_order_id()), outcome)
    uid = gateway.uid(done["result"])
    status, webhook = LEFT_BEHIND[name, outcome]
    payment = payment_of(name, fake, uid)
    assert payment["status"] == status
    assert last_webhook_status(name, drained(fake), uid) == webhook


def test_iamport_results_are_the_callback_objects_of_its_sdk(fakes):
    fake = fakes["iamport"]
    gateway = GATEWAYS[0]
    order_id = new_order_id()
    custom = {"orderId": order_id, "items": [1, 2]}
    request = gateway.request(
        order_id, pg="html5_inicis.INIpayTest", custom_data=custom, buyer_tel=1012345678
    )
    paid = checkout(fake.url, request, "pay-card")["result"]
    assert paid["success"] is True
    assert "error_code" not in paid and "error_msg" not in paid
    assert paid["merchant_uid"] == order_id
    assert paid["paid_amount"] == AMOUNT
    assert paid["status"] == "paid" and paid["pay_method"] == "card"
    assert paid["pg_provider"] == "html5_inicis"
    assert paid["buyer_tel"] == "1012345678"
    assert paid["card_number"] == "5365-10**-****-4444"
    assert paid["custom_data"] == '{"orderId":"' + order_id + '","items":[1,2]}'
    record = payment_of("iamport", fake, paid["imp_uid"])
    assert record["amount"] == AMOUNT and record["name"] == ORDER_NAME
    assert record["paid_at"] == pytest.approx(paid["paid_at"], abs=1)
    assert record["custom_data"] == paid["custom_data"]

    vbank = checkout(
        fake.url, gateway.request(new_order_id(), vbank_due="203001011230"), "issue-vbank"
    )
    account = vbank["result"]
    assert account["success"] is True and account["status"] == "ready"
    assert account["pay_method"] == "vbank" and account["paid_at"] == 0
    assert account["vbank_num"] and account["vbank_name"] and account["vbank_holder"]
    # 2030-01-01 12:30 in Korea.
    assert account["vbank_date"] == 1893468600

    declined = checkout(fake.url, gateway.request(new_order_id()), "decline")["result"]
    assert declined["success"] is False
    assert declined["error_code"] == "CARD_DECLINED"
    assert declined["status"] == "failed" and declined["paid_amount"] == 0
    failed = payment_of("iamport", fake, declined["imp_uid"])
    assert failed["fail_reason"] == f"[CARD_DECLINED] {declined['error_msg']}"
    assert failed["failed_at"] > 0 and failed["paid_at"] == 0


def test_iamport_payments_of_the_window_notify_their_notice_url(fakes):
    fake = fakes["iamport"]
    received: list[dict[str, Any]] = []
    from flask import Flask, request

    from fake_servers.common.server import ServerThread

    sink = Flask("sink")

    @sink.post("/notice")
    def notice() -> tuple[str, int]:
        received.append(request.get_json())
        return "", 200

    with ServerThread(sink) as server:
        gateway = GATEWAYS[0]
        done = checkout(
            fake.url,
            gateway.request(new_order_id(), notice_url=[f"{server.url}/notice"]),
            "pay-card",
        )
        assert drained(fake)
    assert received == [
        {
            "imp_uid": done["result"]["imp_uid"],
            "merchant_uid": done["result"]["merchant_uid"],
            "status": "paid",
        }
    ]


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_a_page_that_left_comes_back_with_the_result_in_its_query(fakes, gateway, outcome):
    fake = fakes[gateway.name]
    order_id = new_order_id()
    back = "http://127.0.0.1:9/back?cart=7"
    params = {
        "iamport": {"m_redirect_url": back},
        "toss": {"successUrl": back, "failUrl": back},
        "portone": {"redirectUrl": back},
    }[gateway.name]
    done = checkout(fake.url, gateway.request(order_id, **params), outcome, window="redirect")
    parts = urlsplit(done["redirect"])
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "http://127.0.0.1:9/back"
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    assert query.pop("cart") == "7"  # the page's own query is kept
    paid = outcome in ("pay-card", "issue-vbank")
    result = done["result"]
    if gateway.name == "iamport":
        assert query == {
            "imp_uid": result["imp_uid"],
            "merchant_uid": order_id,
            "imp_success": "true" if paid else "false",
            **(
                {}
                if paid
                else {"error_code": result["error_code"], "error_msg": result["error_msg"]}
            ),
        }
    elif gateway.name == "toss":
        if paid:
            assert query == {
                "paymentType": "NORMAL",
                "paymentKey": result["paymentKey"],
                "orderId": order_id,
                "amount": str(AMOUNT),
            }
        else:
            # The promise says USER_CANCEL for a closed window; failUrl says PAY_PROCESS_CANCELED.
            code = "REJECT_CARD_COMPANY" if outcome == "decline" else "PAY_PROCESS_CANCELED"
            assert query["code"] == code and query["orderId"] == order_id and query["message"]
            assert set(query) == {"code", "message", "orderId"}
    else:
        assert query == {key: str(value) for key, value in result.items()}
        assert query["paymentId"] == f"payment-{order_id}" and query["transactionType"] == "PAYMENT"
        assert ("code" in query) is not paid


def test_toss_results_are_what_its_sdk_resolves_or_rejects(fakes):
    fake = fakes["toss"]
    gateway = GATEWAYS[1]
    order_id = new_order_id()
    paid = checkout(fake.url, gateway.request(order_id), "pay-card")
    assert paid["redirect"] is None  # no successUrl: the promise answers
    result = paid["result"]
    assert set(result) == {"paymentType", "paymentKey", "orderId", "amount"}
    assert (result["paymentType"], result["orderId"], result["amount"]) == (
        "NORMAL",
        order_id,
        AMOUNT,
    )
    payment = payment_of("toss", fake, result["paymentKey"])
    assert payment["orderName"] == ORDER_NAME and payment["totalAmount"] == AMOUNT
    assert payment["approvedAt"] is None
    # The merchant's server approves it, as after the real window.
    approved = fake.approve(result["paymentKey"], order_id, AMOUNT)
    assert approved["status"] == "DONE"

    cancelled = checkout(fake.url, gateway.request(new_order_id()), "cancel")["result"]
    assert cancelled["code"] == "USER_CANCEL" and cancelled["message"]
    declined = checkout(fake.url, gateway.request(order_id := new_order_id()), "decline")["result"]
    assert declined["code"] == "REJECT_CARD_COMPANY"
    # Toss keeps nothing of a payment its window did not take.
    assert not [p for p in fake.state.payments.values() if p["orderId"] == order_id]


def test_portone_results_are_what_its_sdk_resolves(fakes):
    fake = fakes["portone"]
    gateway = GATEWAYS[2]
    order_id = new_order_id()
    paid = checkout(
        fake.url,
        gateway.request(order_id, customer={"customerId": "c-1", "fullName": "Hong"}),
        "pay-card",
    )
    result = paid["result"]
    assert set(result) == {"transactionType", "paymentId", "txId"}
    payment = payment_of("portone", fake, result["paymentId"])
    assert payment["transactionId"] == result["txId"]
    assert payment["storeId"] == DEFAULT_STORE_ID
    assert payment["amount"]["total"] == AMOUNT and payment["currency"] == "KRW"
    assert payment["customData"] == '{"orderId":"' + order_id + '"}'
    assert payment["customer"] == {"id": "c-1", "name": "Hong"}

    declined = checkout(
        fake.url, gateway.request(new_order_id(), currency="CURRENCY_KRW"), "decline"
    )["result"]
    assert declined["code"] == "FAILURE_TYPE_PG"
    assert declined["pgCode"] == "REJECT_CARD_COMPANY" and declined["pgMessage"]
    failed = payment_of("portone", fake, declined["paymentId"])
    assert failed["failure"] == {
        "reason": "the card company declined",
        "pgCode": "REJECT_CARD_COMPANY",
        "pgMessage": declined["pgMessage"],
    }
    assert "paidAt" not in failed and failed["failedAt"]


def test_portone_sdk_reads_a_failed_payment_of_the_window(fakes):
    """PortOne's own server SDK parses what the window left (a `FailedPayment`)."""
    portone = pytest.importorskip("portone_server_sdk")
    fake = fakes["portone"]
    declined = checkout(fake.url, GATEWAYS[2].request(new_order_id()), "cancel")["result"]
    client = portone.PaymentClient(
        secret=fake.api_secret, base_url=fake.url, store_id=fake.store_id
    )
    payment = client.get_payment(payment_id=declined["paymentId"])
    assert type(payment).__name__ == "FailedPayment"
    assert payment.failure.pg_code == "PAY_PROCESS_CANCELED"


# ---- the customer's bank -------------------------------------------------------------------


def test_the_bank_pays_into_a_virtual_account_once(fakes, gateway):
    fake = fakes[gateway.name]
    done = checkout(fake.url, gateway.request(new_order_id()), "issue-vbank")
    uid = gateway.uid(done["result"])
    bank = f"{fake.url}/checkout/bank/{uid}"
    page = requests.get(bank, timeout=10)
    assert page.status_code == 200
    assert "20,000 KRW" in page.text and 'data-testid="deposit"' in page.text
    assert drained(fake)

    paid = requests.post(bank, timeout=10, allow_redirects=False)
    assert paid.status_code == 303 and paid.headers["Location"].endswith(f"/checkout/bank/{uid}")
    status, webhook = DEPOSITED[gateway.name]
    assert payment_of(gateway.name, fake, uid)["status"] == status
    assert last_webhook_status(gateway.name, drained(fake), uid) == webhook
    after = requests.get(bank, timeout=10).text
    assert 'data-testid="deposit"' not in after and 'data-testid="bank-status"' in after

    again = requests.post(bank, timeout=10, allow_redirects=False)
    assert again.status_code == 409
    assert 'data-testid="bank-problem"' in again.text
    assert payment_of(gateway.name, fake, uid)["status"] == status


def test_the_bank_knows_no_account_of_a_card_payment_or_of_nothing(fakes, gateway):
    fake = fakes[gateway.name]
    done = checkout(fake.url, gateway.request(new_order_id()), "pay-card")
    card = gateway.uid(done["result"])
    before = payment_of(gateway.name, fake, card)
    for uid in (card, "no-such-payment"):
        assert requests.get(f"{fake.url}/checkout/bank/{uid}", timeout=10).status_code == 404
        assert requests.post(f"{fake.url}/checkout/bank/{uid}", timeout=10).status_code == 404
    assert payment_of(gateway.name, fake, card) == before
    assert api_payment(gateway.name, fake, "no-such-payment").status_code == 404

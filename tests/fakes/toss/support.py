"""Helpers for the fake Toss tests: an authenticated HTTP client and shape checks."""

from __future__ import annotations

import base64
import re
import threading
import uuid
from collections.abc import Callable
from typing import Any

import requests
from flask import Flask, Response, request

from fake_servers.common.server import ServerThread
from fake_servers.toss import DEFAULT_SECRET_KEY

Json = dict[str, Any]

CARD_NUMBER = "1111222233334444"
ISO_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
REFUND_ACCOUNT = {"bank": "국민은행", "accountNumber": "12345678901234", "holderName": "홍길동"}


def basic(secret: str = DEFAULT_SECRET_KEY, suffix: str = ":") -> str:
    """The `Authorization` header a Toss client sends for `secret`."""
    return "Basic " + base64.b64encode(f"{secret}{suffix}".encode()).decode()


def order_id() -> str:
    return f"order-{uuid.uuid4()}"


def not_found(key: str) -> Json:
    return {
        "message": f"Error on std.HashMap.get(): unable to find the matched key -> {key}",
        "error": "Not Found",
        "statusCode": 404,
    }


def nest_error(status: int, message: str) -> Json:
    phrases = {400: "Bad Request", 403: "Forbidden", 404: "Not Found", 422: "Unprocessable Entity"}
    return {"message": message, "error": phrases[status], "statusCode": status}


class TossClient:
    """Plain `requests` calls against a fake, authenticated with the default secret key."""

    def __init__(self, url: str, authorization: str | None = None):
        self.url = url
        self.session = requests.Session()
        self.session.headers["Authorization"] = authorization or basic()

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, self.url + path, timeout=10, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, json=body, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def expect(self, response: requests.Response, status: int) -> Json:
        assert response.status_code == status, (response.status_code, response.text)
        return response.json()

    # ---- one call per route, asserting success --------------------------------------------

    def payment(self, payment_key: str) -> Json:
        return self.expect(self.get(f"/v1/payments/{payment_key}"), 200)

    def key_in(self, amount: float = 30000, **fields: Any) -> Json:
        body = {
            "method": "card",
            "cardNumber": CARD_NUMBER,
            "cardExpirationYear": "24",
            "cardExpirationMonth": "03",
            "orderId": order_id(),
            "amount": amount,
            **fields,
        }
        return self.expect(self.post("/v1/payments/key-in", body), 201)

    def approve(self, payment: Json) -> Json:
        body = {"orderId": payment["orderId"], "amount": payment["totalAmount"]}
        return self.expect(self.post(f"/v1/payments/{payment['paymentKey']}", body), 201)

    def cancel(self, payment_key: str, **fields: Any) -> requests.Response:
        body = {"paymentKey": payment_key, "cancelReason": "test", **fields}
        return self.post(f"/v1/payments/{payment_key}/cancel", body)

    def virtual_account(self, amount: float = 25000, **fields: Any) -> Json:
        body = {
            "method": "virtual-account",
            "orderId": order_id(),
            "orderName": "상품",
            "bank": "신한",
            "customerName": "홍길동",
            "amount": amount,
            **fields,
        }
        return self.expect(self.post("/v1/virtual-accounts", body), 201)

    def deposit(self, payment_key: str) -> Json:
        return self.expect(self.put(f"/internal/{payment_key}/deposit"), 200)

    def register_billing(self, customer_key: str = "some-consumer-key", **fields: Any) -> Json:
        body = {
            "customerKey": customer_key,
            "cardNumber": CARD_NUMBER,
            "cardExpirationYear": "28",
            "cardExpirationMonth": "03",
            "cardPassword": "99",
            "customerBirthday": "880311",
            "consumerName": "홍길동",
            **fields,
        }
        return self.expect(self.post("/v1/billing/authorizations/card", body), 201)

    def pay_billing(self, billing_key: str, amount: float = 10000, **fields: Any) -> Json:
        body = {
            "method": "billing",
            "billingKey": billing_key,
            "customerKey": str(uuid.uuid4()),
            "orderId": order_id(),
            "amount": amount,
            **fields,
        }
        return self.expect(self.post(f"/v1/billing/{billing_key}", body), 201)

    def issue_receipt(self, payment: Json, **fields: Any) -> requests.Response:
        body = {
            "type": "소득공제",
            "paymentKey": payment["paymentKey"],
            "orderId": payment["orderId"],
            "orderName": payment["orderName"],
            "registrationNumber": "8803111******",
            "amount": payment["totalAmount"],
            **fields,
        }
        return self.post("/v1/cash-receipts", body)


# ---- shape checks (what typia's `assert` checked in the original tests) ---------------------

_COMMON_KEYS = [
    "method",
    "type",
    "status",
    "mId",
    "version",
    "paymentKey",
    "orderId",
    "transactionKey",
    "orderName",
    "currency",
    "totalAmount",
    "balanceAmount",
    "suppliedAmount",
    "taxFreeAmount",
    "vat",
    "useEscrow",
    "cultureExpense",
    "requestedAt",
    "approvedAt",
    "cancels",
    "cashReceipt",
]
CARD_KEYS = ["card", "discount", "easyPay", *_COMMON_KEYS]
VIRTUAL_ACCOUNT_KEYS = ["secret", "virtualAccount", *_COMMON_KEYS]
CANCEL_KEYS = [
    "cancelAmount",
    "cancelReason",
    "taxFreeAmount",
    "taxAmount",
    "refundableAmount",
    "canceledAt",
]


def _assert_common(payment: Json) -> None:
    assert payment["mId"] == "tosspayments"
    assert payment["version"] == "1.3"
    assert payment["currency"] == "KRW"
    assert UUID4.match(payment["paymentKey"])
    assert UUID4.match(payment["transactionKey"])
    assert ISO_INSTANT.match(payment["requestedAt"])
    assert payment["approvedAt"] is None or ISO_INSTANT.match(payment["approvedAt"])
    assert payment["suppliedAmount"] == payment["totalAmount"]
    for cancel in payment["cancels"] or []:
        assert list(cancel) == CANCEL_KEYS
        assert ISO_INSTANT.match(cancel["canceledAt"])


def assert_card_payment(payment: Json) -> None:
    assert list(payment) == CARD_KEYS
    assert payment["method"] == "카드"
    assert list(payment["card"]) == [
        "company",
        "number",
        "installmentPlanMonths",
        "isInterestFree",
        "approveNo",
        "useCardPoint",
        "cardType",
        "ownerType",
        "acquireStatus",
        "receiptUrl",
    ]
    assert re.search("[0-9]{16}", payment["card"]["number"])
    _assert_common(payment)


def assert_virtual_account_payment(payment: Json) -> None:
    assert list(payment) == VIRTUAL_ACCOUNT_KEYS
    assert payment["method"] == "가상계좌"
    assert UUID4.match(payment["secret"])
    assert list(payment["virtualAccount"]) == [
        "accountNumber",
        "accountType",
        "bank",
        "customerName",
        "dueDate",
        "expired",
        "settlementStatus",
        "refundStatus",
    ]
    _assert_common(payment)


def assert_payment(payment: Json) -> None:
    if payment["method"] == "카드":
        assert_card_payment(payment)
    else:
        assert_virtual_account_payment(payment)


def cancelled_sum(payment: Json) -> float:
    return sum(cancel["cancelAmount"] for cancel in payment["cancels"] or [])


# ---- a webhook receiver ------------------------------------------------------------------


class Receiver:
    """A real HTTP server recording the webhooks posted to it, optionally reacting to each.

    It answers on `/hooks/<anything>`. `react(body)` runs inside the request, before the
    receiver answers, so it can call back into the fake the way a payment server does.
    """

    def __init__(self) -> None:
        self.received = threading.Condition()
        self.reset()
        app = Flask("toss-webhook-receiver")

        @app.post("/hooks/<path:name>")
        def hook(name: str) -> Response:
            body = request.get_json(force=True)
            outcome = self._react(body) if self._react is not None else None
            with self.received:
                self.raw.append(request.get_data())
                self.bodies.append(body)
                self.headers.append(dict(request.headers))
                self.paths.append(request.full_path)
                self.reactions.append(outcome)
                self.received.notify_all()
            return Response(status=201)

        self.server = ServerThread(app)

    def reset(self, react: Callable[[Json], Any] | None = None) -> None:
        with self.received:
            self.bodies: list[Json] = []
            self.raw: list[bytes] = []
            self.headers: list[dict[str, str]] = []
            self.paths: list[str] = []
            self.reactions: list[Any] = []
            self._react = react

    @property
    def url(self) -> str:
        return f"{self.server.url}/hooks/toss"

    def wait_for(self, count: int, timeout: float = 5) -> bool:
        with self.received:
            return self.received.wait_for(lambda: len(self.bodies) >= count, timeout)

    def __enter__(self) -> Receiver:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()

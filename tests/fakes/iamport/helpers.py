"""HTTP client and assertions shared by the fake iamport tests."""

from __future__ import annotations

import random
import uuid
from typing import Any

import requests

CREDENTIALS = {"imp_key": "test_imp_key", "imp_secret": "test_imp_secret"}


class IamportClient:
    """Talks to the fake over HTTP as the SDK's IamportConnector does: a fresh token every call."""

    def __init__(self, url: str):
        self.url = url
        self.session = requests.Session()

    def token(self) -> str:
        reply = self.session.post(f"{self.url}/users/getToken", json=CREDENTIALS, timeout=5)
        assert reply.status_code == 201, reply.text
        token: str = reply.json()["response"]["access_token"]
        return token

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        authorize: bool = True,
        **kwargs: Any,
    ) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if authorize:
            headers.setdefault("Authorization", token or self.token())
        if body is not None:
            kwargs["json"] = body
        return self.session.request(
            method, f"{self.url}{path}", headers=headers, timeout=5, **kwargs
        )

    def ok(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        """Call a route that must succeed with its own status; return the envelope's response."""
        reply = self.request(method, path, body, **kwargs)
        expected = 201 if method == "POST" else 200
        assert reply.status_code == expected, reply.text
        envelope = reply.json()
        assert envelope["code"] == 0
        assert envelope["message"] == "success"
        return envelope["response"]

    def error(self, status: int, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        """Call a route that must fail with `status`; return the error body."""
        reply = self.request(method, path, body, **kwargs)
        assert reply.status_code == status, reply.text
        assert reply.headers["Content-Type"] == "application/json; charset=utf-8"
        return reply.json()


def new_uid() -> str:
    return str(uuid.uuid4())


def random_card_number() -> str:
    return "-".join(f"{random.randint(0, 9999):04d}" for _ in range(4))


# Valid request bodies; a test passes only the fields it is about.


def onetime_body(**fields: Any) -> dict[str, Any]:
    """POST /subscribe/payments/onetime: a card payment of 25,000 for a new order."""
    card = {"card_number": "1234-1234-1234-1234", "expiry": "2028-12", "birth": "880311"}
    return {**card, "merchant_uid": new_uid(), "amount": 25_000, "name": "Fake 주문", **fields}


def again_body(customer_uid: str, **fields: Any) -> dict[str, Any]:
    """POST /subscribe/payments/again: charge the saved card of `customer_uid` 10,000."""
    order = {"merchant_uid": new_uid(), "amount": 10_000, "name": "Fake 주문"}
    return {"customer_uid": customer_uid, **order, **fields}


def vbank_body(**fields: Any) -> dict[str, Any]:
    """POST /vbanks: a virtual account of 1,000 for a new order."""
    account = {"vbank_code": "004", "vbank_due": 2_000_000_000, "vbank_holder": "h"}
    return {"merchant_uid": new_uid(), "amount": 1_000, **account, **fields}


def refund_body(payment: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """POST /payments/cancel: refund the rest of `payment` (or `amount` of it)."""
    ids = {key: payment[key] for key in ("imp_uid", "merchant_uid")}
    return {**ids, "checksum": None, "reason": "refund", **fields}


def otp_body(**fields: Any) -> dict[str, Any]:
    """POST /certifications/otp/request for 홍길동, born on 11 March 1988."""
    person = {"name": "홍길동", "birth": "19880311", "gender_digit": "1"}
    return {**person, "phone": "01011112222", "carrier": "LGT", **fields}


def webhook_of(imp_uid: str, merchant_uid: str, status: str) -> dict[str, str]:
    """The webhook the fake sends when payment `imp_uid` becomes `status`."""
    return {"imp_uid": imp_uid, "merchant_uid": merchant_uid, "status": status}


BASE_FIELDS = (
    "pay_method",
    "imp_uid",
    "merchant_uid",
    "name",
    "amount",
    "cancel_amount",
    "currency",
    "receipt_url",
    "cash_receipt_issue",
    "channel",
    "pg_provider",
    "emb_pg_provider",
    "pg_id",
    "pg_tid",
    "escrow",
    "buyer_name",
    "buyer_email",
    "buyer_tel",
    "buyer_addr",
    "buyer_postcode",
    "customer_uid",
    "customer_uid_usage",
    "custom_data",
    "user_agent",
    "status",
    "started_at",
    "paid_at",
    "failed_at",
    "cancelled_at",
    "fail_reason",
    "cancel_reason",
    "cancel_history",
)
CARD_FIELDS = ("card_code", "card_name", "card_number", "card_quota", "apply_num", *BASE_FIELDS)
VBANK_FIELDS = (
    "vbank_code",
    "vbank_name",
    "vbank_num",
    "vbank_holder",
    "vbank_date",
    "vbank_issued_at",
    *BASE_FIELDS,
)
CANCEL_FIELDS = ("pg_id", "pg_tid", "amount", "cancelled_at", "reason", "receipt_url")


def assert_payment(payment: dict[str, Any], pay_method: str) -> None:
    """The payment has exactly the declared fields of its kind, in declaration order."""
    expected = CARD_FIELDS if pay_method == "card" else VBANK_FIELDS
    assert tuple(payment) == expected
    assert payment["pay_method"] == pay_method
    assert payment["pg_tid"] == payment["pg_id"]
    assert payment["receipt_url"] == "https://github.com/samchon/fake-iamport-server"
    assert payment["failed_at"] == 0
    assert payment["cancel_amount"] == sum(entry["amount"] for entry in payment["cancel_history"])
    for entry in payment["cancel_history"]:
        assert tuple(entry) == CANCEL_FIELDS


REFUND_ACCOUNT = {
    "refund_holder": "홍길동",
    "refund_bank": "신한은행",
    "refund_account": "110-123-456789",
    "refund_tel": "010-1234-5678",
}

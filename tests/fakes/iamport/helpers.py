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

"""iamport's `{code, message, response}` envelope, on a stub of the API."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask, request
from payment_vendor_iamport import IamportVendor

from payment_service.vendors import GatewayError, GatewayRejected

from .support import IAMPORT_CREDENTIALS, serve, vendor_settings

NOT_FOUND = "존재하지 않는 결제정보입니다."


def stub_iamport(token_reply: dict[str, Any], payment_reply: Any) -> Flask:
    app = Flask(__name__)

    @app.post("/users/getToken")
    def token() -> Any:
        return token_reply

    @app.get("/payments/<uid>")
    def payment(uid: str) -> Any:
        assert request.headers["Authorization"] == "the-token"
        return payment_reply

    return app


GOOD_TOKEN = {
    "code": 0,
    "message": None,
    "response": {"access_token": "the-token", "now": 1700000000, "expired_at": 1700001800},
}


@pytest.fixture
def vendor_for() -> Iterator[Callable[[Flask], IamportVendor]]:
    """Serves a stub and returns an iamport vendor pointed at it."""
    with ExitStack() as servers:

        def make(app: Flask) -> IamportVendor:
            url = servers.enter_context(serve(app))
            options = {"iamport": {"base_url": url, "default": IAMPORT_CREDENTIALS}}
            return IamportVendor.from_settings(vendor_settings(options))

        yield make


def test_a_nonzero_code_is_refused_with_iamports_message(
    vendor_for: Callable[[Flask], IamportVendor],
):
    vendor = vendor_for(
        stub_iamport(GOOD_TOKEN, {"code": 1, "message": NOT_FOUND, "response": None})
    )
    with pytest.raises(GatewayRejected) as raised:
        vendor.fetch_payment("store", "imp_1")
    assert raised.value.status == 422
    assert raised.value.message == NOT_FOUND
    assert raised.value.path == "/payments/imp_1"


def test_a_refused_token_request_is_our_configurations_fault(
    vendor_for: Callable[[Flask], IamportVendor],
):
    refused = {
        "code": -1,
        "message": "imp_key, imp_secret 정보가 올바르지 않습니다.",
        "response": None,
    }
    vendor = vendor_for(stub_iamport(refused, {}))
    with pytest.raises(GatewayError) as raised:
        vendor.fetch_payment("store", "imp_1")
    assert raised.value.status == 502
    assert "credentials" in raised.value.message


@pytest.mark.parametrize(
    "reply",
    [[], {"response": {}}, {"code": 0, "message": None, "response": None}, "text"],
)
def test_a_reply_without_a_payment_is_a_gateway_failure(
    vendor_for: Callable[[Flask], IamportVendor], reply: Any
):
    vendor = vendor_for(stub_iamport(GOOD_TOKEN, reply))
    with pytest.raises(GatewayError) as raised:
        vendor.fetch_payment("store", "imp_1")
    assert raised.value.status == 502
    assert not isinstance(raised.value, GatewayRejected)


def test_a_payment_with_an_unreadable_amount_is_a_gateway_failure(
    vendor_for: Callable[[Flask], IamportVendor],
):
    payment = {"merchant_uid": "o", "status": "paid", "amount": "lots"}
    vendor = vendor_for(stub_iamport(GOOD_TOKEN, {"code": 0, "message": None, "response": payment}))
    with pytest.raises(GatewayError) as raised:
        vendor.approve("store", "imp_1", order_id="o", amount=Decimal(1))
    assert raised.value.status == 502

"""What both vendors do when a gateway is down, slow or refuses us, and per-store credentials."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from payment_vendor_iamport import IamportVendor
from payment_vendor_toss import TossVendor

from fake_servers.iamport import FakeIamport
from fake_servers.toss import FakeToss
from payment_service.vendors import (
    GatewayAnswer,
    GatewayError,
    GatewayRejected,
    GatewayReplies,
    GatewayTimeout,
    GatewayUnavailable,
    UnknownStore,
    Vendor,
)

from .support import (
    IAMPORT_CREDENTIALS,
    TOSS_CREDENTIALS,
    closed_port_url,
    serve,
    slow_app,
    vendor_settings,
)


@dataclass(frozen=True)
class Gateway:
    code: str
    vendor: type[IamportVendor] | type[TossVendor]
    credentials: dict[str, str]

    def at(self, base_url: str, **options: Any) -> Vendor:
        raw = {"base_url": base_url, "default": self.credentials, **options}
        return self.vendor.from_settings(vendor_settings({self.code: raw}))


GATEWAYS = [
    Gateway("iamport", IamportVendor, IAMPORT_CREDENTIALS),
    Gateway("toss.payments", TossVendor, TOSS_CREDENTIALS),
]
BY_CODE = pytest.mark.parametrize("gateway", GATEWAYS, ids=lambda g: g.code)


@pytest.mark.parametrize(
    ("vendor_fixture", "unknown"),
    [("iamport_vendor", "imp_unknown"), ("toss_vendor", "unknown-key")],
)
def test_an_unknown_payment_is_a_404_with_the_gateways_message(
    request: pytest.FixtureRequest, vendor_fixture: str, unknown: str
):
    vendor: Vendor = request.getfixturevalue(vendor_fixture)
    with pytest.raises(GatewayRejected) as raised:
        vendor.fetch_payment("store", unknown)
    assert raised.value.status == 404
    assert raised.value.message == (
        f"Error on std.HashMap.get(): unable to find the matched key -> {unknown}"
    )


@BY_CODE
def test_an_unreachable_gateway_is_a_503(gateway: Gateway):
    vendor = gateway.at(closed_port_url())
    with pytest.raises(GatewayUnavailable) as raised:
        vendor.fetch_payment("store", "uid")
    assert raised.value.status == 503
    assert raised.value.message.startswith(f"{gateway.code} cannot be reached")


@BY_CODE
def test_a_gateway_slower_than_the_timeout_is_a_504(gateway: Gateway):
    with serve(slow_app(delay_s=1.0)) as url:
        vendor = gateway.at(url, timeout_s=0.2)
        with pytest.raises(GatewayTimeout) as raised:
            vendor.fetch_payment("store", "uid")
    assert raised.value.status == 504
    assert "within 0.2s" in raised.value.message


@BY_CODE
def test_a_store_without_credentials_is_refused(gateway: Gateway):
    settings = vendor_settings({gateway.code: {"base_url": closed_port_url()}})
    vendor = gateway.vendor.from_settings(settings)
    with pytest.raises(UnknownStore) as raised:
        vendor.fetch_payment("store-x", "uid")
    assert raised.value.status == 422
    assert (
        raised.value.message == f"No {gateway.code} credentials are configured for store 'store-x'."
    )


def test_iamport_store_with_its_own_credentials(iamport: FakeIamport):
    iamport.state.credentials = {"store_b_key": "store_b_secret"}
    uid = iamport.pay_by_card(1000, "o")["imp_uid"]
    own = {"imp_key": "store_b_key", "imp_secret": "store_b_secret"}
    vendor = Gateway("iamport", IamportVendor, IAMPORT_CREDENTIALS).at(
        iamport.url, stores={"store-b": own}
    )
    assert vendor.fetch_payment("store-b", uid)["imp_uid"] == uid
    with pytest.raises(GatewayError) as raised:
        vendor.fetch_payment("store-a", uid)  # the default credentials, which iamport refuses
    assert raised.value.status == 502


def test_toss_store_with_its_own_secret_key(toss: FakeToss):
    toss.secret_keys = {"test_sk_store_b"}
    key = toss.pay_by_card(1000, "o")["paymentKey"]
    vendor = Gateway("toss.payments", TossVendor, TOSS_CREDENTIALS).at(
        toss.url, stores={"store-b": {"secret_key": "test_sk_store_b"}}
    )
    assert vendor.fetch_payment("store-b", key)["paymentKey"] == key
    with pytest.raises(GatewayError) as raised:
        vendor.fetch_payment("store-a", key)
    assert raised.value.status == 502


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"code":"FORBIDDEN_REQUEST","message":"no"}', "no"),
        ('{"type":"PAYMENT_NOT_FOUND","message":"gone"}', "gone"),
        ('{"code":-1,"message":null}', None),
        ('{"message":{"nested":1}}', None),
        ("  upstream broke  ", "upstream broke"),
        ("[1]", None),
    ],
)
def test_a_gateway_answer_is_read_into_typed_fields(body: str, message: str | None):
    answer = GatewayAnswer.read(418, body)
    assert (answer.status, answer.body, answer.message) == (418, body, message)


def test_a_gateway_error_shows_its_answer_in_the_body_clients_see():
    answer = GatewayAnswer.read(400, '{"message":"' + "x" * 3000 + '"}')
    error = GatewayError("refused", vendor="toss.payments", status=422, path="/p", answer=answer)
    body = error.body()
    assert list(body) == ["message", "error", "statusCode", "vendor", "path", "gateway"]
    assert body["statusCode"] == 422
    assert body["gateway"] == {"status": 400, "body": answer.body[:2000]}
    assert "gateway" not in GatewayError("down", vendor="toss.payments").body()


def test_a_reply_that_is_not_an_object_is_an_unreadable_502():
    replies = GatewayReplies("toss.payments", "Toss")
    assert replies.object({"a": 1}, "/v1/x", "GET") == {"a": 1}
    with pytest.raises(GatewayError) as raised:
        replies.object([1], "/v1/x", "GET")
    assert (raised.value.status, raised.value.path) == (502, "/v1/x")
    assert (
        raised.value.message
        == "Toss answered GET /v1/x with a reply this server cannot read (not an object)."
    )


def test_a_mismatched_payment_says_whether_cancelling_it_worked():
    replies = GatewayReplies("toss.payments", "Toss")
    done = replies.cancelled_for("It differs", "amount", lambda: None)
    assert (done.cancelled, done.message) == (True, "It differs; the Toss payment was cancelled.")

    def refuse() -> None:
        raise GatewayRejected("no", vendor="toss.payments", status=400)

    failed = replies.cancelled_for("It differs", "amount", refuse)
    assert failed.cancelled is False
    assert failed.body()["cancel_error"] == {"status": 400, "message": "no"}

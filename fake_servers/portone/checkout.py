"""The checkout behind the stand-in PortOne V2 browser SDK: `PortOne.requestPayment({storeId,
channelKey, paymentId, orderName, totalAmount, currency, payMethod, redirectUrl, ...})` as
PortOne's browser SDK takes it, and what each outcome of the window leaves at the fake.

* Pay by card: a `PAID` payment for the page's `paymentId` (`Transaction.Paid` webhook); a
  virtual account: one `VIRTUAL_ACCOUNT_ISSUED` (`Transaction.VirtualAccountIssued`), as the
  fake's `/internal` customer routes make them.
* Declined or cancelled: a `FAILED` payment whose `failure` carries the PG's code, and no
  webhook; the same `paymentId` can be paid with later, as at PortOne.

The promise resolves with `{transactionType: "PAYMENT", txId, paymentId}`, plus `code:
"FAILURE_TYPE_PG"`, `message`, `pgCode` and `pgMessage` when the payment failed; a request the
SDK refuses rejects with a `PaymentError`. With `redirectUrl` and a redirecting window (or
`forceRedirect`) the page goes to `redirectUrl?paymentId=&transactionType=&txId=` (and the
error fields).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from fake_servers.common.checkout import (
    Account,
    CheckoutGateway,
    CheckoutRefused,
    Completion,
    Fields,
    Order,
    packaged_text,
    with_query,
)

from . import payments
from .errors import PortOneError
from .records import CHANNEL, VIRTUAL_ACCOUNT_METHOD, Json
from .state import PortOneState

CDN_SCRIPT = "https://cdn.portone.io/v2/browser-sdk.js"
"""The real SDK, as merchant pages load it; the fake serves its stand-in at the same path."""
SCRIPT_PATH = "/v2/browser-sdk.js"

# The browser SDK's error codes.
INVALID = "InvalidArgument"
STORE_NOT_FOUND = "StoreNotFound"
CHANNEL_NOT_FOUND = "ChannelNotFound"
ALREADY_PAID = "PaymentAlreadyPaid"
FAILED = "FAILURE_TYPE_PG"
DEPOSIT_REFUSED = "DEPOSIT_REFUSED"
# The PG's own code and message of each failure (the test channel is Toss Payments').
FAILURES = {
    "decline": (
        "REJECT_CARD_COMPANY",
        "카드사에서 결제를 거절했습니다",
        "the card company declined",
    ),
    "cancel": (
        "PAY_PROCESS_CANCELED",
        "사용자에 의해 결제가 취소되었습니다",
        "the customer closed the payment window",
    ),
}

PAY_METHODS = {"CARD": "CARD", "VIRTUAL_ACCOUNT": "VIRTUAL_ACCOUNT"}
WINDOW_TYPES = ("IFRAME", "POPUP", "REDIRECTION")
# The browser SDK's `Customer` → the REST API's `CustomerInput`, which the fake stores.
CUSTOMER_FIELDS = {
    "customerId": "id",
    "email": "email",
    "phoneNumber": "phoneNumber",
    "zipcode": "zipcode",
    "birthYear": "birthYear",
    "birthMonth": "birthMonth",
    "birthDay": "birthDay",
}


class PortOneCheckout(CheckoutGateway):
    name = "portone"
    title = "fake PortOne"
    scripts: ClassVar[Mapping[str, str]] = {
        SCRIPT_PATH: packaged_text(__package__ or "fake_servers.portone", "browser-sdk.js")
    }

    def __init__(self, state: PortOneState, store_id: Callable[[], str]):
        self.state = state
        self.store_id = store_id

    def open(self, request: Any, window: str) -> Order:
        body = Fields(request, INVALID)
        params = body.child("params")
        if params is None:
            raise body.refuse("the payment request is required")
        store = params.text("storeId", required=True, max_length=200)
        if store != self.store_id():
            raise CheckoutRefused(
                STORE_NOT_FOUND, f"no store {store} (the fake's is {self.store_id()})"
            )
        channel = params.text("channelKey", max_length=200)
        if channel is not None and channel != CHANNEL["key"]:
            raise CheckoutRefused(
                CHANNEL_NOT_FOUND, f"no channel {channel} (the fake's is {CHANNEL['key']})"
            )
        currency = params.text("currency", required=True, max_length=20) or ""
        currency = currency.removeprefix("CURRENCY_")
        if not (len(currency) == 3 and currency.isalpha() and currency.isupper()):
            raise params.refuse("`currency` must be a currency code such as KRW")
        method = params.choice("payMethod", PAY_METHODS)
        if method is None:
            raise params.refuse("`payMethod` is required (CARD or VIRTUAL_ACCOUNT)")
        redirect_url = params.url("redirectUrl")
        kinds = params.child("windowType")
        for where in ("pc", "mobile") if kinds is not None else ():
            kinds.choice(where, WINDOW_TYPES)
        if window == "redirect" and redirect_url is None:
            raise params.refuse("a REDIRECTION window needs `redirectUrl`")
        order = {
            "paymentId": params.text("paymentId", required=True, max_length=200),
            "storeId": store,
            "orderName": params.text("orderName", required=True, max_length=200),
            "amount": params.amount("totalAmount", whole=True),
            "currency": currency,
            "customData": _custom_data(params.raw("customData")),
            "customer": _customer(params.child("customer")),
            "redirectUrl": redirect_url,
        }
        params.flag("forceRedirect")
        with self.state.lock:
            existing = self.state.payments.find(order["paymentId"])
            if existing is not None and existing["status"] not in ("READY", "FAILED"):
                message = f"이미 결제된 결제 건입니다: {order['paymentId']}"
                raise CheckoutRefused(ALREADY_PAID, message)
        return Order(order["orderName"], order["amount"], currency, method, order)

    def complete(self, order: Order, outcome: str) -> Completion:
        request = order.request
        payment_id = request["paymentId"]
        input = {key: value for key, value in request.items() if value is not None}
        result: Json = {"transactionType": "PAYMENT", "paymentId": payment_id}
        try:
            if outcome == "pay-card":
                payment = payments.pay_by_card(self.state, payment_id, input, self.store_id())
            elif outcome == "issue-vbank":
                payment = payments.issue_virtual_account(
                    self.state, payment_id, input, self.store_id()
                )
            else:
                pg_code, pg_message, english = FAILURES[outcome]
                failure = {"reason": english, "pgCode": pg_code, "pgMessage": pg_message}
                payment = payments.fail_in_window(
                    self.state, payment_id, input, self.store_id(), failure
                )
                result.update(
                    code=FAILED,
                    message=f"[{pg_code}] {pg_message} ({english}).",
                    pgCode=pg_code,
                    pgMessage=pg_message,
                )
        except PortOneError as error:
            # Another window for this paymentId was paid in meanwhile.
            raise CheckoutRefused(ALREADY_PAID, error.message) from None
        result["txId"] = payment["transactionId"]
        redirect = None
        if request["redirectUrl"] is not None:
            redirect = with_query(request["redirectUrl"], result)
        return Completion(result, redirect)

    def account(self, uid: str) -> Account | None:
        with self.state.lock:
            payment = self.state.payments.find(uid)
            if payment is None or payment["method"]["type"] != VIRTUAL_ACCOUNT_METHOD:
                return None
            method = payment["method"]
            return Account(
                bank=method["bank"],
                number=method["accountNumber"],
                holder=method["remitteeName"],
                amount=payment["amount"]["total"],
                currency=payment["currency"],
                order_name=payment["orderName"],
                waiting=payment["status"] == "VIRTUAL_ACCOUNT_ISSUED",
            )

    def deposit(self, uid: str) -> None:
        try:
            payments.deposit(self.state, uid)
        except PortOneError as error:
            raise CheckoutRefused(DEPOSIT_REFUSED, error.message) from None


def _custom_data(value: Any) -> str | None:
    """PortOne keeps `customData` as JSON text: a string as given, anything else serialized."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _customer(customer: Fields | None) -> Json | None:
    if customer is None:
        return None
    stored: Json = {}
    for key, name in CUSTOMER_FIELDS.items():
        value = customer.text(key, max_length=200)
        if value is not None:
            stored[name] = value
    full = customer.text("fullName", max_length=200)
    if full is None:
        parts = [
            customer.text("firstName", max_length=100),
            customer.text("lastName", max_length=100),
        ]
        full = " ".join(part for part in parts if part) or None
    if full is not None:
        stored["name"] = {"full": full}
    return stored

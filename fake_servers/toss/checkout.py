"""The checkout behind the stand-in Toss Payments SDK (v1): `TossPayments(clientKey)
.requestPayment(method, {amount, orderId, orderName, successUrl, failUrl, ...})` as Toss's
browser SDK takes it, and what each outcome of the window leaves at the fake.

* Pay by card: a card payment `IN_PROGRESS`, waiting for the merchant's approval, as key-in
  with `__approved: false` leaves one; a virtual account: one `WAITING_FOR_DEPOSIT`, as
  `POST /v1/virtual-accounts` issues it (with its webhook).
* Declined or cancelled: nothing, as at Toss, whose window hands no `paymentKey` back then.

With `successUrl` and `failUrl` the page goes to `successUrl?paymentType=NORMAL&orderId=
&paymentKey=&amount=` or `failUrl?code=&message=&orderId=`; without them the promise resolves
with `{paymentType, paymentKey, orderId, amount}` or rejects with `{code, message}`.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
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
from fake_servers.common.http import HttpError

from . import payments
from .records import VIRTUAL_ACCOUNT
from .state import TossState

CDN_SCRIPTS = ("https://js.tosspayments.com/v1/payment", "https://js.tosspayments.com/v1")
"""The real SDK, as a page's script tag (`/v1/payment`) and npm's loader (`/v1`) fetch it; the
fake serves its stand-in at both paths."""
SCRIPT_PATHS = ("/v1/payment", "/v1")
CLIENT_KEY_PREFIX = "test_ck_"
DEFAULT_CLIENT_KEY = "test_ck_paymentServiceFakeToss0000"
"""A client key for pages (published, like the secret key): the fake takes any `test_ck_` key."""

# Toss's own error codes, as its SDK and failUrl report them.
INVALID = "INVALID_PARAMETER"
INVALID_CLIENT_KEY = "INVALID_CLIENT_KEY"
DUPLICATED_ORDER_ID = "DUPLICATED_ORDER_ID"
DECLINED = ("REJECT_CARD_COMPANY", "카드사에서 결제를 거절했습니다 (the card company declined).")
# A closed window: the promise says USER_CANCEL, failUrl says PAY_PROCESS_CANCELED.
CANCELLED = ("USER_CANCEL", "취소되었습니다 (the customer closed the payment window).")
CANCELLED_REDIRECT = (
    "PAY_PROCESS_CANCELED",
    "사용자에 의해 결제가 취소되었습니다 (the customer closed the payment window).",
)
DEPOSIT_REFUSED = "DEPOSIT_REFUSED"

METHODS = {
    "카드": "CARD",
    "CARD": "CARD",
    "가상계좌": "VIRTUAL_ACCOUNT",
    "VIRTUAL_ACCOUNT": "VIRTUAL_ACCOUNT",
}
# Toss's rule for orderId: 6 to 64 letters, digits, `-`, `_` or `=`.
ORDER_ID_CHARACTERS = frozenset(string.ascii_letters + string.digits + "-_=")
# What the window's card payments are made with (masked, as Toss shows card numbers).
CARD_NUMBER = "53651012****4444"
SETTLED = ("DONE", "WAITING_FOR_DEPOSIT", "CANCELED", "PARTIAL_CANCELED")


class TossCheckout(CheckoutGateway):
    name = "toss"
    title = "fake Toss Payments"
    scripts: ClassVar[Mapping[str, str]] = dict.fromkeys(
        SCRIPT_PATHS, packaged_text(__package__ or "fake_servers.toss", "tosspayments.js")
    )

    def __init__(self, state: TossState):
        self.state = state

    def open(self, request: Any, window: str) -> Order:
        body = Fields(request, INVALID)
        client_key = body.text("clientKey", required=True, max_length=200) or ""
        if not client_key.startswith(CLIENT_KEY_PREFIX):
            raise CheckoutRefused(
                INVALID_CLIENT_KEY, f"the fake takes test client keys only ({CLIENT_KEY_PREFIX}...)"
            )
        method = body.raw("method")
        if method not in METHODS:
            raise body.refuse("the method must be 카드 (CARD) or 가상계좌 (VIRTUAL_ACCOUNT)")
        params = body.child("params")
        if params is None:
            raise body.refuse("the payment request is required")
        order_id = params.text("orderId", required=True, max_length=64) or ""
        if len(order_id) < 6 or not set(order_id) <= ORDER_ID_CHARACTERS:
            raise params.refuse("`orderId` must be 6 to 64 letters, digits, -, _ or =")
        success_url, fail_url = params.url("successUrl"), params.url("failUrl")
        if (success_url is None) != (fail_url is None):
            raise params.refuse("give both `successUrl` and `failUrl`, or neither")
        if window == "redirect" and success_url is None:
            raise params.refuse("`windowTarget: 'self'` needs `successUrl` and `failUrl`")
        order = {
            "orderId": order_id,
            "orderName": params.text("orderName", required=True, max_length=100),
            "amount": params.amount("amount", whole=True),
            "customerName": params.text("customerName", max_length=100),
            "successUrl": success_url,
            "failUrl": fail_url,
        }
        params.choice("windowTarget", ("iframe", "self"))
        with self.state.lock:
            if any(
                payment["orderId"] == order_id and payment["status"] in SETTLED
                for payment in self.state.payments.values()
            ):
                raise CheckoutRefused(
                    DUPLICATED_ORDER_ID,
                    "이미 승인 및 취소가 진행된 중복된 주문번호 입니다 (orderId was used already).",
                )
        return Order(order["orderName"], order["amount"], "KRW", METHODS[method], order)

    def complete(self, order: Order, outcome: str) -> Completion:
        request = order.request
        if outcome == "pay-card":
            payment = payments.key_in(
                self.state,
                {
                    "method": "card",
                    "cardNumber": CARD_NUMBER,
                    "amount": request["amount"],
                    "orderId": request["orderId"],
                    "orderName": request["orderName"],
                    # Left for the merchant's server to approve, as a real window leaves it.
                    "__approved": False,
                },
            )
        elif outcome == "issue-vbank":
            payment = payments.create_virtual_account(
                self.state,
                {
                    "orderId": request["orderId"],
                    "orderName": request["orderName"],
                    "bank": "신한",
                    "customerName": request["customerName"] or "홍길동",
                    "amount": request["amount"],
                },
            )
        else:
            return self._failure(request, outcome)
        success = {
            "paymentType": "NORMAL",
            "paymentKey": payment["paymentKey"],
            "orderId": payment["orderId"],
            "amount": payment["totalAmount"],
        }
        redirect = None
        if request["successUrl"] is not None:
            redirect = with_query(request["successUrl"], success)
        return Completion(success, redirect)

    @staticmethod
    def _failure(request: dict[str, Any], outcome: str) -> Completion:
        code, message = DECLINED if outcome == "decline" else CANCELLED
        redirect = None
        if request["failUrl"] is not None:
            code_, message_ = DECLINED if outcome == "decline" else CANCELLED_REDIRECT
            redirect = with_query(
                request["failUrl"],
                {"code": code_, "message": message_, "orderId": request["orderId"]},
            )
        return Completion(
            {"code": code, "message": message, "orderId": request["orderId"]}, redirect
        )

    def account(self, uid: str) -> Account | None:
        with self.state.lock:
            payment = self.state.payments.find(uid)
            if payment is None or payment["method"] != VIRTUAL_ACCOUNT:
                return None
            account = payment["virtualAccount"]
            return Account(
                bank=account["bank"],
                number=account["accountNumber"],
                holder=account["customerName"],
                amount=payment["totalAmount"],
                currency=payment["currency"],
                order_name=payment["orderName"],
                waiting=payment["status"] == "WAITING_FOR_DEPOSIT",
            )

    def deposit(self, uid: str) -> None:
        with self.state.lock:
            account = self.account(uid)
            # The fake's deposit route takes a second deposit; a bank transfers once.
            if account is not None and not account.waiting:
                raise CheckoutRefused(DEPOSIT_REFUSED, "This account is not waiting for money.")
            try:
                payments.deposit(self.state, uid)
            except HttpError as error:
                raise CheckoutRefused(DEPOSIT_REFUSED, error.message) from None

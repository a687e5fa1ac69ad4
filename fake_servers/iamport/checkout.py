"""The checkout behind the stand-in `iamport.js`: `IMP.request_pay(params, callback)` as
iamport's browser SDK takes it, and what each outcome of the window leaves at the fake.

* Pay by card: a `paid` card payment, as `POST /subscribe/payments/onetime` makes one (with
  its `paid` webhook); a virtual account: a `ready` one, as `POST /vbanks` (`ready` webhook).
* Declined or cancelled: a `failed` payment with its `fail_reason`, and no webhook, as iamport
  keeps a payment attempt that took no money.

The callback gets iamport's response object (`success`, `imp_uid`, `merchant_uid`,
`paid_amount`, `status`, ..., `error_code` and `error_msg` on failure); a page that leaves for
`m_redirect_url` comes back with `imp_uid`, `merchant_uid`, `imp_success` (and the error) in
the query.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
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
from .records import CardPayment, Payment, VBankPayment
from .state import State

CDN_SCRIPT = "https://cdn.iamport.kr/v1/iamport.js"
"""The real SDK, as merchant pages load it; the fake serves its stand-in at the same path."""
SCRIPT_PATH = "/v1/iamport.js"
DEFAULT_MERCHANT_CODE = "imp00000000"
"""A merchant code for `IMP.init` in pages: the fake takes any."""

# The stand-in's error codes (iamport passes its PGs' own codes through; these are the fake's).
INVALID = "INVALID_PARAMETER"
ALREADY_PAID = "ALREADY_PAID_ORDER"
DECLINED = "CARD_DECLINED"
CANCELLED = "USER_CANCEL"
DEPOSIT_REFUSED = "DEPOSIT_REFUSED"
FAILURES = {
    "decline": (DECLINED, "카드 승인이 거절되었습니다 (the card company declined)."),
    "cancel": (
        CANCELLED,
        "사용자가 결제를 취소하셨습니다 (the customer closed the window).",
    ),
}

CURRENCIES = ("KRW", "USD", "EUR", "JPY")
# A merchant_uid with a payment in these states cannot be paid again.
TAKEN = ("paid", "ready")
WHOLE_CURRENCIES = ("KRW", "JPY")
BUYER_FIELDS = ("buyer_name", "buyer_email", "buyer_tel", "buyer_addr", "buyer_postcode")
# What the window's card payments are made with (masked, as iamport shows card numbers).
CARD_NUMBER = "5365-10**-****-4444"
VBANK_CODE = "088"
KST = timezone(timedelta(hours=9))
VBANK_DAYS = 7


class IamportCheckout(CheckoutGateway):
    name = "iamport"
    title = "fake iamport"
    scripts: ClassVar[Mapping[str, str]] = {
        SCRIPT_PATH: packaged_text(__package__ or "fake_servers.iamport", "iamport.js")
    }

    def __init__(self, state: State):
        self.state = state

    def open(self, request: Any, window: str) -> Order:
        body = Fields(request, INVALID)
        body.text("code", required=True, max_length=100)  # IMP.init's merchant code
        params = body.child("params")
        if params is None:
            raise body.refuse("`params` is required")
        currency = params.choice("currency", CURRENCIES, "KRW") or "KRW"
        order: dict[str, Any] = {
            "merchant_uid": params.text("merchant_uid", required=True, max_length=255),
            "amount": params.amount("amount", whole=currency in WHOLE_CURRENCIES),
            "currency": currency,
            "name": params.text("name", max_length=255),
            "pay_method": params.text("pay_method", max_length=40) or "card",
            **{key: _text(params, key) for key in BUYER_FIELDS},
            "custom_data": _custom_data(params.raw("custom_data")),
            "notice_url": _notice_url(params),
            "m_redirect_url": params.url("m_redirect_url"),
            "vbank_due": _vbank_due(params, self.state.clock.seconds()),
        }
        if window == "redirect" and order["m_redirect_url"] is None:
            raise body.refuse("a payment that leaves the page needs `m_redirect_url`")
        pg = params.text("pg", max_length=100)
        order["window"] = {
            # `pg` is "<provider>" or "<provider>.<PG merchant id>".
            "pg_provider": pg.split(".", 1)[0] if pg else None,
            "channel": body.choice("channel", ("pc", "mobile"), "pc"),
            "user_agent": body.text("user_agent", max_length=1000),
        }
        with self.state.lock:
            if any(
                payment.merchant_uid == order["merchant_uid"] and payment.status in TAKEN
                for payment in self.state.payments.values()
            ):
                raise CheckoutRefused(ALREADY_PAID, "이미 결제된 주문번호(merchant_uid)입니다.")
        name = order["name"] or order["merchant_uid"]
        return Order(name, order["amount"], currency, order["pay_method"], order)

    def complete(self, order: Order, outcome: str) -> Completion:
        request = order.request
        error = FAILURES.get(outcome)
        payment: Payment
        if outcome == "pay-card":
            payment = payments.pay_in_window(self.state, request, request["window"], CARD_NUMBER)
        elif outcome == "issue-vbank":
            account = {**request, "vbank_code": VBANK_CODE}
            payment = payments.issue_vbank(self.state, account, request["window"])
        else:
            assert error is not None
            payment = payments.fail_in_window(
                self.state, request, request["window"], f"[{error[0]}] {error[1]}"
            )
        result = self._response(payment, error)
        redirect = None
        if request["m_redirect_url"] is not None:
            redirect = with_query(
                request["m_redirect_url"],
                {
                    "imp_uid": result["imp_uid"],
                    "merchant_uid": result["merchant_uid"],
                    "imp_success": result["success"],
                    "error_code": result.get("error_code"),
                    "error_msg": result.get("error_msg"),
                },
            )
        return Completion(result, redirect)

    def _response(self, payment: Payment, error: tuple[str, str] | None) -> dict[str, Any]:
        """The object iamport's SDK hands to the callback."""
        data = self.state.snapshot(payment)
        result: dict[str, Any] = {
            "success": error is None,
            "imp_uid": data["imp_uid"],
            "merchant_uid": data["merchant_uid"],
            "pay_method": data["pay_method"],
            "paid_amount": data["amount"] if error is None else 0,
            "status": data["status"],
            "name": data["name"],
            "pg_provider": data["pg_provider"],
            "pg_tid": data["pg_tid"],
            "buyer_name": data["buyer_name"],
            "buyer_email": data["buyer_email"],
            "buyer_tel": data["buyer_tel"],
            "buyer_addr": data["buyer_addr"],
            "buyer_postcode": data["buyer_postcode"],
            "custom_data": data["custom_data"],
            "currency": data["currency"],
            "paid_at": int(data["paid_at"]),
            "receipt_url": data["receipt_url"],
        }
        if isinstance(payment, CardPayment):
            for key in ("apply_num", "card_name", "card_number", "card_quota"):
                result[key] = data[key]
        if isinstance(payment, VBankPayment):
            for key in ("vbank_num", "vbank_name", "vbank_holder"):
                result[key] = data[key]
            result["vbank_date"] = int(data["vbank_date"])
        if error is not None:
            result["error_code"], result["error_msg"] = error
        return result

    def account(self, uid: str) -> Account | None:
        payment = self.state.payments.find(uid)
        if not isinstance(payment, VBankPayment):
            return None
        with self.state.lock:
            return Account(
                bank=payment.vbank_name,
                number=payment.vbank_num,
                holder=payment.vbank_holder,
                amount=payment.amount,
                currency=payment.currency,
                order_name=payment.name or payment.merchant_uid,
                waiting=payment.status == "ready",
            )

    def deposit(self, uid: str) -> None:
        try:
            payments.deposit(self.state, uid)
        except HttpError as error:
            raise CheckoutRefused(DEPOSIT_REFUSED, error.message) from None


def _text(params: Fields, key: str) -> str | None:
    """A buyer field: a string, or a number written as one (pages pass phone numbers both ways)."""
    value = params.raw(key)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return params.text(key, max_length=255) or None


def _custom_data(value: Any) -> str | None:
    """iamport keeps `custom_data` as JSON text."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _notice_url(params: Fields) -> str | None:
    """Where this payment's webhooks go: `notice_url`, a URL or a list of them (the fake posts
    to the first)."""
    value = params.raw("notice_url")
    if isinstance(value, list):
        if not value or not all(isinstance(url, str) for url in value):
            raise params.refuse("`notice_url` must be a URL or a list of URLs")
        return Fields({"notice_url": value[0]}, params.code).url("notice_url")
    if value is None:
        return None
    return params.url("notice_url")


def _vbank_due(params: Fields, now: float) -> int:
    """`vbank_due` as the SDK takes it, `YYYYMMDD` or `YYYYMMDDhhmm` in Korean time, in Unix
    seconds; a week from now when absent."""
    text = params.text("vbank_due", max_length=12)
    if text is None:
        return round(now) + VBANK_DAYS * 24 * 60 * 60
    layout = {8: "%Y%m%d", 12: "%Y%m%d%H%M"}.get(len(text))
    try:
        if layout is None or not text.isdigit():
            raise ValueError(text)
        due = datetime.strptime(text, layout).replace(tzinfo=KST)
    except ValueError:
        raise params.refuse("`vbank_due` must be YYYYMMDD or YYYYMMDDhhmm") from None
    if len(text) == 8:
        due = due.replace(hour=23, minute=59)
    return int(due.timestamp())

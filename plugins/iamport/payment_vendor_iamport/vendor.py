"""The iamport vendor: what the core calls, in iamport's terms."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from payment_service import vendors
from payment_service.vendors import VendorSettings
from payment_service.vendors.replies import text
from payment_service.wire import dumps

from . import listing, mapping, webhooks
from .api import IamportApi, unreadable
from .options import CODE, REPLIES, load_options

AGAIN_PATH = "/subscribe/payments/again"
# iamport words a card company's refusal as "[<code>] <reason>" in `fail_reason`.
FAIL_CODE = re.compile(r"^\[(?P<code>[^\]]+)\]\s*")
# The original's refund reason for a wrongly paid amount, shown in iamport's console.
WRONG_AMOUNT_REASON = "잘못된 금액을 결제함"
UNAPPROVABLE = ("failed", "cancelled")


class IamportVendor(vendors.Vendor):
    code = CODE
    distribution = "payment-vendor-iamport"
    webhook_name = "iamport"
    webhook_schema = vendors.packaged_json(__package__, "webhook.schema.json")

    def __init__(self, options: vendors.VendorOptions, *, clock: Callable[[], float] = time.time):
        self.options = options
        self.api = IamportApi(options, clock=clock)

    @classmethod
    def from_settings(cls, settings: VendorSettings) -> IamportVendor:
        return cls(load_options(settings))

    def fetch_payment(self, store_id: str, uid: str) -> dict[str, Any]:
        path = f"/payments/{vendors.segment(uid)}"
        return record(self.api.call(store_id, "GET", path), path)

    def approve(self, store_id: str, uid: str, *, order_id: str, amount: Decimal) -> dict[str, Any]:
        """iamport has no approval step: the payment is fetched and checked against the order.

        Stricter than the original, which checked the amount only, so that any imp_uid could
        be bound to any order: the payment must belong to this order (`merchant_uid`) and not
        be failed or cancelled. A payment of another order is never touched. A paid payment
        whose amount differs is cancelled whole (the original refunded the *claimed* price,
        which usually fails, and is a partial refund when it does not).
        """
        payment = self.fetch_payment(store_id, uid)
        if payment.get("merchant_uid") != order_id:
            raise REPLIES.other_order(uid, order_id)
        status = payment.get("status")
        if status in UNAPPROVABLE:
            raise vendors.PaymentMismatch(
                f"The iamport payment {uid} is {status}, so it cannot be approved.",
                vendor=CODE,
                cancelled=False,
                mismatch="status",
            )
        try:
            paid = vendors.decimal(payment.get("amount"))
        except (ValueError, ArithmeticError):
            raise unreadable(
                f"/payments/{vendors.segment(uid)}", "amount is not a number"
            ) from None
        if paid != amount:
            raise self._refuse_amount(store_id, uid, payment, paid, amount)
        return payment

    def _refuse_amount(
        self, store_id: str, uid: str, payment: Mapping[str, Any], paid: Decimal, amount: Decimal
    ) -> vendors.PaymentMismatch:
        differs = f"The paid amount {paid} differs from the order's {amount}"
        if payment.get("status") != "paid":
            return REPLIES.not_paid(differs, "amount")
        whole = {
            "imp_uid": uid,
            "merchant_uid": payment["merchant_uid"],
            "reason": WRONG_AMOUNT_REASON,
            "checksum": None,
        }  # no `amount`: iamport then refunds all that remains
        return REPLIES.cancelled_for(
            differs, "amount", lambda: self.api.call(store_id, "POST", "/payments/cancel", whole)
        )

    def cancel(self, store_id: str, uid: str, refund: vendors.Refund) -> dict[str, Any]:
        body: dict[str, Any] = {
            "imp_uid": uid,
            "merchant_uid": refund.order_id,
            "amount": refund.amount,
            "reason": refund.reason,
            "checksum": None,
        }
        account = refund.account
        if account is not None:
            # Required by iamport for virtual-account payments, where the money goes back by
            # bank transfer.
            body.update(
                refund_bank=account.bank,
                refund_account=account.account,
                refund_holder=account.holder,
                refund_tel=account.mobile,
            )
        return record(self.api.call(store_id, "POST", "/payments/cancel", body), "/payments/cancel")

    def summarize(self, payment: dict[str, Any]) -> vendors.PaymentSummary:
        return mapping.summarize(payment)

    def fetch_reservation(self, store_id: str, uid: str, *, customer_id: str) -> dict[str, Any]:
        """The card saved under `customer_uid` = `uid` (iamport has no separate customer id)."""
        path = f"/subscribe/customers/{vendors.segment(uid)}"
        return record(self.api.call(store_id, "GET", path), path)

    def charge_billing_key(
        self, store_id: str, charge: vendors.BillingCharge
    ) -> vendors.ChargedPayment:
        """The paid payment of `_charged` with its uid (`imp_uid`)."""
        payment = self._charged(store_id, charge)
        with REPLIES.reading_payment():
            return vendors.ChargedPayment(text(payment, "imp_uid"), payment)

    def _charged(self, store_id: str, charge: vendors.BillingCharge) -> dict[str, Any]:
        """`POST /subscribe/payments/again` on the card saved under `customer_uid`, for the order
        `merchant_uid`. iamport answers a card company's refusal with code 0 and a `failed`
        payment (or, for some refusals, a non-zero code): either is `ChargeDeclined`.

        Resumed, the order is looked up first (`GET /payments/find/{merchant_uid}/paid`): a
        paid payment of it is the earlier call's charge.
        """
        if charge.resume:
            paid = self._paid_payment_of(store_id, charge.order_id)
            if paid is not None:
                return paid
        body = {
            "customer_uid": charge.billing_key,
            "merchant_uid": charge.order_id,
            "amount": charge.amount,
            "name": charge.title,
        }
        try:
            payment = record(self.api.call(store_id, "POST", AGAIN_PATH, body), AGAIN_PATH)
        except vendors.GatewayRejected as refusal:
            if refusal.gateway_status != 200 or refusal.answer is None:
                raise
            # A non-zero code in a 200 envelope: iamport refused the charge itself.
            code = _envelope_code(refusal.answer.body)
            raise vendors.ChargeDeclined(
                refusal.message, vendor=CODE, code=code, path=AGAIN_PATH, answer=refusal.answer
            ) from None
        if payment.get("status") != "paid":
            reason = payment.get("fail_reason")
            reason = reason if isinstance(reason, str) and reason else "iamport declined"
            matched = FAIL_CODE.match(reason)
            raise vendors.ChargeDeclined(
                reason,
                vendor=CODE,
                code=matched.group("code") if matched else None,
                path=AGAIN_PATH,
                answer=vendors.GatewayAnswer(200, dumps(payment), reason),
            )
        return payment

    def _paid_payment_of(self, store_id: str, merchant_uid: str) -> dict[str, Any] | None:
        path = f"/payments/find/{vendors.segment(merchant_uid)}/paid"
        try:
            return record(self.api.call(store_id, "GET", path), path)
        except vendors.GatewayRejected as refusal:
            if refusal.gateway_status == 404:
                return None
            raise

    def list_payments(
        self, store_id: str, since: datetime, until: datetime
    ) -> Iterator[vendors.ListedPayment]:
        """Every payment of the window, from iamport's payments-by-status list (`all`)."""
        return listing.list_payments(
            lambda path: self.api.call(store_id, "GET", path), since, until
        )

    def read_webhook(self, body: Any) -> vendors.WebhookNotice:
        return webhooks.read_webhook(body)


def record(response: Any, path: str) -> dict[str, Any]:
    return REPLIES.object(response, path)


def _envelope_code(body: str) -> str | None:
    """iamport's `code` in an envelope it answered (a number, as text), if readable."""
    try:
        code = json.loads(body).get("code")
    except (ValueError, AttributeError):
        return None
    return None if code is None else str(code)

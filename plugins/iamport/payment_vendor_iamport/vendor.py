"""The iamport vendor: what the core calls, in iamport's terms."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from payment_service import vendors
from payment_service.vendors import VendorSettings

from . import listing, mapping, webhooks
from .api import IamportApi, unreadable
from .options import CODE, REPLIES, load_options

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

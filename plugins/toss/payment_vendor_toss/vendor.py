"""The Toss Payments vendor: what the core calls, in Toss's terms."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from payment_service import vendors
from payment_service.vendors import VendorSettings
from payment_service.vendors.replies import text

from . import listing, mapping, webhooks
from .options import CODE, REPLIES, load_options

# Statuses of a payment that an approval has gone through.
APPROVED = ("DONE", "WAITING_FOR_DEPOSIT")
WRONG_PAYMENT_REASON = "결제 정보가 주문과 다름"  # "the payment does not match the order"
# Toss refuses a secret key with 401; its 403s refuse the request itself (e.g. a billing key of
# another customer, a card company's refusal). The fake answers 403 to bad keys too, with these.
AUTHENTICATION_MESSAGES = (
    "No authorization token exists.",
    "Invalid authorization token.",
    "Wrong authorization token.",
)

# Toss's codes for a card company's refusal of a billing charge (nothing was charged).
DECLINE_CODES = frozenset(
    {
        "REJECT_CARD_PAYMENT",
        "REJECT_CARD_COMPANY",
        "REJECT_ACCOUNT_PAYMENT",
        "EXCEED_MAX_AMOUNT",
        "EXCEED_MAX_DAILY_PAYMENT_COUNT",
        "EXCEED_MAX_PAYMENT_AMOUNT",
        "INVALID_CARD_EXPIRATION",
        "INVALID_STOPPED_CARD",
        "INVALID_CARD_LOST_OR_STOLEN",
        "INVALID_REJECT_CARD",
        "RESTRICTED_CARD",
        "NOT_AVAILABLE_PAYMENT",
    }
)


class TossVendor(vendors.Vendor):
    code = CODE
    distribution = "payment-vendor-toss"
    webhook_name = "toss"
    webhook_schema = vendors.packaged_json(__package__, "webhook.schema.json")

    def __init__(self, options: vendors.VendorOptions):
        self.options = options
        self.client = vendors.GatewayClient(CODE, options.base_url, options.timeout_s)

    @classmethod
    def from_settings(cls, settings: VendorSettings) -> TossVendor:
        return cls(load_options(settings))

    def _send(self, store_id: str, method: str, path: str, body: Any = None) -> Any:
        secret = self.options.credentials(store_id)["secret_key"]
        # Basic auth with the secret key as user name and an empty password.
        token = base64.b64encode(f"{secret}:".encode()).decode("ascii")
        try:
            return self.client.call(
                method, path, body=body, headers={"Authorization": f"Basic {token}"}
            )
        except vendors.GatewayError as error:
            refused = forbidden_request(error)
            if refused is None:
                raise
            raise refused from None

    def _call(self, store_id: str, method: str, path: str, body: Any = None) -> dict[str, Any]:
        return REPLIES.object(self._send(store_id, method, path, body), path, method)

    def fetch_payment(self, store_id: str, uid: str) -> dict[str, Any]:
        return self._call(store_id, "GET", f"/v1/payments/{vendors.segment(uid)}")

    def approve(self, store_id: str, uid: str, *, order_id: str, amount: Decimal) -> dict[str, Any]:
        """Approve at Toss, which itself refuses another orderId or amount; then check again.

        Toss refuses to approve a payment twice. When the approval is refused, the payment is
        fetched: if it is already approved (our earlier attempt whose answer was lost), it is
        accepted provided it matches this order and amount.
        """
        path = f"/v1/payments/{vendors.segment(uid)}"
        try:
            payment = self._call(store_id, "POST", path, {"orderId": order_id, "amount": amount})
        except vendors.GatewayRejected as refusal:
            if refusal.gateway_status == 404:
                raise
            try:
                payment = self.fetch_payment(store_id, uid)
            except vendors.GatewayError:
                raise refusal from None
            if payment.get("status") not in APPROVED:
                raise refusal
        return self._verified(store_id, uid, payment, order_id=order_id, amount=amount)

    def _verified(
        self, store_id: str, uid: str, payment: Mapping[str, Any], *, order_id: str, amount: Decimal
    ) -> dict[str, Any]:
        if payment.get("orderId") != order_id:
            raise REPLIES.other_order(uid, order_id)
        try:
            total = vendors.decimal(payment.get("totalAmount"))
        except (ValueError, ArithmeticError):
            total = None
        if total == amount:
            return dict(payment)
        differs = f"The payment's amount {total} differs from the order's {amount}"
        # No cancelAmount: Toss cancels the whole payment.
        whole = {"paymentKey": uid, "cancelReason": WRONG_PAYMENT_REASON}
        path = f"/v1/payments/{vendors.segment(uid)}/cancel"
        raise REPLIES.cancelled_for(
            differs, "amount", lambda: self._call(store_id, "POST", path, whole)
        )

    def cancel(self, store_id: str, uid: str, refund: vendors.Refund) -> dict[str, Any]:
        body: dict[str, Any] = {
            "paymentKey": uid,
            "cancelReason": refund.reason,
            "cancelAmount": refund.amount,
        }
        account = refund.account
        if account is not None:
            # Virtual-account refunds go to this account. Toss takes digits only, while
            # account numbers are usually written with dashes (110-123-456789). Toss has no
            # field for the holder's phone number.
            body["refundReceiveAccount"] = {
                "bank": account.bank,
                "accountNumber": account_digits(account.account),
                "holderName": account.holder,
            }
        return self._call(store_id, "POST", f"/v1/payments/{vendors.segment(uid)}/cancel", body)

    def summarize(self, payment: dict[str, Any]) -> vendors.PaymentSummary:
        return mapping.summarize(payment)

    def fetch_reservation(self, store_id: str, uid: str, *, customer_id: str) -> dict[str, Any]:
        """The billing key `uid`, which Toss only shows to the customer it was issued for."""
        path = f"/v1/billing/authorizations/{vendors.segment(uid)}"
        return self._call(store_id, "POST", path, {"customerKey": customer_id})

    def charge_billing_key(
        self, store_id: str, charge: vendors.BillingCharge
    ) -> vendors.ChargedPayment:
        """The paid payment of `_charged` with its uid (`paymentKey`)."""
        payment = self._charged(store_id, charge)
        with REPLIES.reading_payment():
            return vendors.ChargedPayment(text(payment, "paymentKey"), payment)

    def _charged(self, store_id: str, charge: vendors.BillingCharge) -> dict[str, Any]:
        """`POST /v1/billing/{billingKey}` for the order `orderId`; a card company's refusal
        (Toss's `code`, e.g. `REJECT_CARD_PAYMENT`) is `ChargeDeclined`.

        Resumed, the order is looked up first (`GET /v1/payments/orders/{orderId}`): a `DONE`
        payment of it is the earlier call's charge.
        """
        if charge.resume:
            done = self._done_payment_of(store_id, charge.order_id)
            if done is not None:
                return done
        path = f"/v1/billing/{vendors.segment(charge.billing_key)}"
        body = {
            "customerKey": charge.customer_id,
            "amount": charge.amount,
            "orderId": charge.order_id,
            "orderName": charge.title,
            # The original fake's body (`ITossBilling.IPaymentStore`) also names these.
            "method": "billing",
            "billingKey": charge.billing_key,
        }
        try:
            return self._call(store_id, "POST", path, body)
        except vendors.GatewayError as error:
            code = toss_code(error)
            if code is None or not (code in DECLINE_CODES or code.startswith("REJECT_")):
                raise
            message = error.answer.message if error.answer and error.answer.message else code
            raise vendors.ChargeDeclined(
                message, vendor=CODE, code=code, path=path, answer=error.answer
            ) from None

    def _done_payment_of(self, store_id: str, order_id: str) -> dict[str, Any] | None:
        path = f"/v1/payments/orders/{vendors.segment(order_id)}"
        try:
            payment = self._call(store_id, "GET", path)
        except vendors.GatewayRejected as refusal:
            if refusal.gateway_status == 404:
                return None
            raise
        return payment if payment.get("status") == "DONE" else None

    def list_payments(
        self, store_id: str, since: datetime, until: datetime
    ) -> Iterator[vendors.ListedPayment]:
        """Every payment with a transaction in the window, from Toss's transactions list."""
        return listing.list_payments(
            lambda path: self._send(store_id, "GET", path),
            lambda key: self.fetch_payment(store_id, key),
            since,
            until,
        )

    def read_webhook(self, body: Any) -> vendors.WebhookNotice:
        return webhooks.read_webhook(body)


def account_digits(account: str) -> str:
    """`110-123-456789` → `110123456789`; other characters are left for Toss to refuse."""
    return "".join(account.split()).replace("-", "")


def forbidden_request(error: vendors.GatewayError) -> vendors.GatewayRejected | None:
    """A 403 that refuses the request rather than our key, as the caller's 403."""
    answer = error.answer
    if answer is None or answer.status != 403:
        return None
    message = answer.message
    if message is None or message in AUTHENTICATION_MESSAGES:
        return None
    return vendors.GatewayRejected(message, vendor=CODE, status=403, path=error.path, answer=answer)


def toss_code(error: vendors.GatewayError) -> str | None:
    """Toss's error `code` in the answer of a failed call, if it has one."""
    if error.answer is None:
        return None
    try:
        code = json.loads(error.answer.body).get("code")
    except (ValueError, AttributeError):
        return None
    return code if isinstance(code, str) else None

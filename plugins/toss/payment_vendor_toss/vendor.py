"""The Toss Payments vendor: what the core calls, in Toss's terms."""

from __future__ import annotations

import base64
from collections.abc import Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from payment_service import vendors
from payment_service.vendors import VendorSettings

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

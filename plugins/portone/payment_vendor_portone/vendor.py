"""The PortOne V2 vendor: what the core calls, in PortOne's terms.

`uid` is the PortOne `paymentId`, chosen by the merchant before the checkout window opens. V2
payments are approved in the browser, so approving here means checking the finished payment.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from payment_service import vendors
from payment_service.errors import Unprocessable
from payment_service.vendors import VendorSettings
from payment_service.vendors.replies import text

from . import mapping, webhooks
from .banks import bank_code
from .options import CODE, REPLIES, load_options, webhook_secrets

APPROVABLE = ("PAID", "VIRTUAL_ACCOUNT_ISSUED")
CURRENCY = "KRW"
WRONG_PAYMENT_REASON = "결제 정보가 주문과 다름"  # "the payment does not match the order"
LISTING_PAGE = 100


class PortOneVendor(vendors.Vendor):
    code = CODE
    distribution = "payment-vendor-portone"
    webhook_name = "portone"
    webhook_schema = vendors.packaged_json(__package__, "webhook.schema.json")

    def __init__(self, options: vendors.VendorOptions):
        self.options = options
        self.client = vendors.GatewayClient(CODE, options.base_url, options.timeout_s)
        self.webhook_secrets = webhook_secrets(options)

    @classmethod
    def from_settings(cls, settings: VendorSettings) -> PortOneVendor:
        return cls(load_options(settings))

    # ---- the API ---------------------------------------------------------------------------

    def _call(
        self,
        store_id: str,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        query: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Call PortOne for our store `store_id`: its API secret, its PortOne store id."""
        credentials = self.options.credentials(store_id)
        store = credentials["store_id"]
        if body is not None:
            body = {"storeId": store, **body}
        elif method == "GET" and query is None:
            query = {"storeId": store}
        target = f"{path}?{urlencode(query)}" if query else path
        authorization = {"Authorization": f"PortOne {credentials['api_secret']}"}
        reply = self.client.call(method, target, body=body, headers=authorization)
        return REPLIES.object(reply, path, method)

    def fetch_payment(self, store_id: str, uid: str) -> dict[str, Any]:
        return self._call(store_id, "GET", f"/payments/{vendors.segment(uid)}")

    # ---- approval --------------------------------------------------------------------------

    def approve(self, store_id: str, uid: str, *, order_id: str, amount: Decimal) -> dict[str, Any]:
        """Check the payment the customer finished in the checkout window.

        It must be PAID (or a virtual account issued and waiting), in KRW, for exactly
        `amount`, and — when the merchant put the order id in `customData` as
        `{"orderId": ...}`, the only place a V2 payment carries one — for this order. A payment
        of another order is never touched; a PAID one with the wrong amount or currency is
        cancelled whole, and the error says whether that worked. Approving again returns it.
        """
        payment = self.fetch_payment(store_id, uid)
        status = payment.get("status")
        if status not in APPROVABLE:
            raise vendors.PaymentMismatch(
                f"The PortOne payment {uid} is {status}, so it cannot be approved.",
                vendor=CODE,
                cancelled=False,
                mismatch="status",
            )
        ordered = order_of(payment)
        if ordered is not None and ordered != order_id:
            raise REPLIES.other_order(uid, order_id)
        currency = payment.get("currency")
        if currency != CURRENCY:
            return self._refuse(store_id, uid, payment, f"is in {currency}, not KRW", "currency")
        try:
            paid = vendors.decimal(payment["amount"]["total"])
        except (KeyError, TypeError, ValueError, ArithmeticError):
            raise vendors.GatewayError(
                f"PortOne sent payment {uid} without a readable amount.", vendor=CODE, status=502
            ) from None
        if paid != amount:
            differs = f"amount {paid} differs from the order's {amount}"
            return self._refuse(store_id, uid, payment, differs, "amount")
        return payment

    def _refuse(
        self, store_id: str, uid: str, payment: Mapping[str, Any], problem: str, mismatch: str
    ) -> Any:
        """Raise the mismatch; a PAID payment is cancelled whole first (the money moved)."""
        differs = f"The PortOne payment {uid} {problem}"
        if payment.get("status") != "PAID":
            raise REPLIES.not_paid(differs, mismatch)
        # No amount: PortOne cancels all that remains.
        whole = {"reason": WRONG_PAYMENT_REASON}
        path = f"/payments/{vendors.segment(uid)}/cancel"
        raise REPLIES.cancelled_for(
            differs, mismatch, lambda: self._call(store_id, "POST", path, whole)
        )

    # ---- cancel ----------------------------------------------------------------------------

    def cancel(self, store_id: str, uid: str, refund: vendors.Refund) -> dict[str, Any]:
        """Refund the amount (PortOne takes whole KRW), then return the payment as it now is."""
        amount, account = refund.amount, refund.account
        if amount != amount.to_integral_value():
            raise Unprocessable(f"PortOne refunds whole won; {amount} has a fraction.", vendor=CODE)
        body: dict[str, Any] = {"amount": int(amount), "reason": refund.reason}
        if account is not None:
            # Virtual-account payments are refunded by bank transfer to this account.
            body["refundAccount"] = {
                "bank": bank_code(account.bank),
                "number": "".join(account.account.split()).replace("-", ""),
                "holderName": account.holder,
                "holderPhoneNumber": account.mobile,
            }
        self._call(store_id, "POST", f"/payments/{vendors.segment(uid)}/cancel", body)
        return self.fetch_payment(store_id, uid)

    def summarize(self, payment: dict[str, Any]) -> vendors.PaymentSummary:
        return mapping.summarize(payment)

    # ---- billing keys ----------------------------------------------------------------------

    def fetch_reservation(self, store_id: str, uid: str, *, customer_id: str) -> dict[str, Any]:
        """The billing key `uid`, which must be issued (not deleted) and — when PortOne knows
        its customer — belong to `customer_id` (the reservation's source id)."""
        info = self._call(store_id, "GET", f"/billing-keys/{vendors.segment(uid)}")
        if info.get("status") != "ISSUED":
            raise Unprocessable(
                f"The PortOne billing key is {info.get('status')}, not ISSUED.", vendor=CODE
            )
        customer = info.get("customer")
        owner = customer.get("id") if isinstance(customer, Mapping) else None
        if owner is not None and owner != customer_id:
            raise Unprocessable(
                "The PortOne billing key was issued for another customer.",
                vendor=CODE,
                mismatch="customer",
            )
        return info

    def charge_billing_key(
        self, store_id: str, charge: vendors.BillingCharge
    ) -> vendors.ChargedPayment:
        """The paid payment of `_charged` with its uid (`id`)."""
        payment = self._charged(store_id, charge)
        with REPLIES.reading_payment():
            return vendors.ChargedPayment(text(payment, "id"), payment)

    def _charged(self, store_id: str, charge: vendors.BillingCharge) -> dict[str, Any]:
        """`POST /payments/{paymentId}/billing-key` with the order id as the `paymentId`, then
        the payment as PortOne records it. The PG's refusal (`PG_PROVIDER`, with `pgCode` and
        `pgMessage`) is `ChargeDeclined`.

        Resumed, the payment is fetched first: PAID, it is the earlier call's charge.
        """
        amount = charge.amount
        if amount != amount.to_integral_value():
            raise Unprocessable(f"PortOne charges whole won; {amount} has a fraction.", vendor=CODE)
        uid = vendors.segment(charge.order_id)
        if charge.resume:
            try:
                payment = self.fetch_payment(store_id, charge.order_id)
            except vendors.GatewayRejected as refusal:
                if refusal.gateway_status != 404:
                    raise
            else:
                if payment.get("status") == "PAID":
                    return payment
        path = f"/payments/{uid}/billing-key"
        body = {
            "billingKey": charge.billing_key,
            "orderName": charge.title,
            "amount": {"total": int(amount)},
            "currency": CURRENCY,
            # Where a V2 payment carries an order id (`order_of`), for reconciliation.
            "customData": json.dumps({"orderId": charge.order_id}),
        }
        try:
            self._call(store_id, "POST", path, body)
        except vendors.GatewayError as error:
            refusal = pg_refusal(error)
            if refusal is None:
                raise
            message, code = refusal
            raise vendors.ChargeDeclined(
                message, vendor=CODE, code=code, path=path, answer=error.answer
            ) from None
        return self.fetch_payment(store_id, charge.order_id)

    # ---- webhooks --------------------------------------------------------------------------

    def verify_webhook(
        self, headers: Mapping[str, str], body: bytes
    ) -> vendors.SignedDelivery | None:
        return webhooks.verify(self.webhook_secrets, headers, body)

    def read_webhook(self, body: Any) -> vendors.WebhookNotice:
        return webhooks.read_webhook(body)

    # ---- listing (for reconciliation) ------------------------------------------------------

    def list_payments(
        self, store_id: str, since: datetime, until: datetime
    ) -> Iterator[vendors.ListedPayment]:
        """Every PortOne payment of the store created in [since, until], oldest first.

        Pages through `GET /payments-by-cursor` (the whole period, in order, however many).
        PortOne carries no order id of its own: it is the `customData` convention's, if any.
        """
        cursor: str | None = None
        while True:
            request: dict[str, Any] = {
                "storeId": self.options.credentials(store_id)["store_id"],
                "from": rfc3339(since),
                "until": rfc3339(until),
                "size": LISTING_PAGE,
            }
            if cursor is not None:
                request["cursor"] = cursor
            page = self._call(
                store_id, "GET", "/payments-by-cursor", query={"requestBody": json.dumps(request)}
            )
            items = page.get("items") or []
            for item in items:
                payment = item["payment"]
                yield vendors.ListedPayment(payment["id"], order_of(payment) or "", payment)
            if len(items) < LISTING_PAGE:
                return
            cursor = items[-1]["cursor"]


def order_of(payment: Mapping[str, Any]) -> str | None:
    """The order id the merchant put in `customData` as `{"orderId": "..."}`, if any."""
    data = payment.get("customData")
    if not isinstance(data, str):
        return None
    try:
        parsed = json.loads(data)
    except ValueError:
        return None
    order = parsed.get("orderId") if isinstance(parsed, dict) else None
    return order if isinstance(order, str) else None


def rfc3339(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def pg_refusal(error: vendors.GatewayError) -> tuple[str, str | None] | None:
    """(message, PG code) when PortOne answered the PG's refusal (`PG_PROVIDER`), else None."""
    if error.answer is None:
        return None
    try:
        body = json.loads(error.answer.body)
    except ValueError:
        return None
    if not isinstance(body, dict) or body.get("type") != "PG_PROVIDER":
        return None
    message = body.get("pgMessage") or body.get("message") or "PortOne's PG declined"
    code = body.get("pgCode")
    return str(message), code if isinstance(code, str) else None

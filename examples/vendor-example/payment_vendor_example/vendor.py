"""The example gateway's API, as small as a real one gets:

    GET  /payments/{id}                      the payment
    POST /payments/{id}/capture  {amount}    capture an authorized payment (once)
    POST /payments/{id}/refunds  {amount, reason}
    GET  /customers/{customer}/cards/{id}    a saved card
    Authorization: Bearer <api_key>; errors are {"message": ...} with a 4xx status.

A payment is `{id, order_id, amount, currency, status: authorized|captured|refunded,
captured_at: ISO|null, refunds: [{amount, reason, refunded_at}]}`; its webhook is
`{type, payment_id}`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from payment_service import vendors

CODE = "example"
DEFAULT_BASE_URL = "https://api.example.com"
REPLIES = vendors.GatewayReplies(CODE, "The example gateway")


class ExampleVendor(vendors.Vendor):
    code = CODE
    webhook_name = "example"
    # The installed version of this distribution is what /monitors/plugins reports.
    distribution = "payment-vendor-example"

    def __init__(self, options: vendors.VendorOptions):
        self.options = options
        # One client per vendor: it reuses connections and maps every failure to the
        # GatewayError family, with the timeout of the options.
        self.client = vendors.GatewayClient(CODE, options.base_url, options.timeout_s)

    @classmethod
    def from_settings(cls, settings: vendors.VendorSettings) -> ExampleVendor:
        options = vendors.VendorOptions.from_settings(
            settings, CODE, base_url=DEFAULT_BASE_URL, credential_keys=("api_key",)
        )
        return cls(options)

    def _call(self, store_id: str, method: str, path: str, body: Any = None) -> dict[str, Any]:
        api_key = self.options.credentials(store_id)["api_key"]
        reply = self.client.call(
            method, path, body=body, headers={"Authorization": f"Bearer {api_key}"}
        )
        # Every answer of this API is an object; anything else is a gateway failure (502).
        return REPLIES.object(reply, f"{method} {path}")

    def fetch_payment(self, store_id: str, uid: str) -> dict[str, Any]:
        return self._call(store_id, "GET", f"/payments/{vendors.segment(uid)}")

    def approve(self, store_id: str, uid: str, *, order_id: str, amount: Decimal) -> dict[str, Any]:
        payment = self.fetch_payment(store_id, uid)
        if payment["order_id"] != order_id:
            raise vendors.PaymentMismatch(
                f"The payment {uid} belongs to another order.", vendor=CODE, cancelled=False
            )
        if vendors.decimal(payment["amount"]) != amount:
            raise vendors.PaymentMismatch(
                f"The payment's amount {payment['amount']} differs from the order's {amount}.",
                vendor=CODE,
                cancelled=False,
            )
        if payment["status"] == "captured":
            return payment  # approved by an earlier attempt: retries are safe
        if payment["status"] != "authorized":
            raise vendors.GatewayRejected(f"The payment is {payment['status']}.", vendor=CODE)
        return self._call(
            store_id, "POST", f"/payments/{vendors.segment(uid)}/capture", {"amount": amount}
        )

    def cancel(self, store_id: str, uid: str, refund: vendors.Refund) -> dict[str, Any]:
        body = {"amount": refund.amount, "reason": refund.reason}
        return self._call(store_id, "POST", f"/payments/{vendors.segment(uid)}/refunds", body)

    def summarize(self, payment: dict[str, Any]) -> vendors.PaymentSummary:
        captured_at = payment.get("captured_at")
        return vendors.PaymentSummary(
            currency=payment["currency"],
            price=vendors.decimal(payment["amount"]),
            paid_at=datetime.fromisoformat(captured_at) if captured_at else None,
            cancels=tuple(
                vendors.CancelRecord(
                    amount=vendors.decimal(refund["amount"]),
                    reason=refund["reason"],
                    cancelled_at=datetime.fromisoformat(refund["refunded_at"]),
                    data=refund,
                )
                for refund in payment["refunds"]
            ),
        )

    def fetch_reservation(self, store_id: str, uid: str, *, customer_id: str) -> dict[str, Any]:
        return self._call(
            store_id,
            "GET",
            f"/customers/{vendors.segment(customer_id)}/cards/{vendors.segment(uid)}",
        )

    def read_webhook(self, body: Any) -> vendors.WebhookNotice:
        if not isinstance(body, dict) or not isinstance(body.get("payment_id"), str):
            raise vendors.InvalidWebhook("An example webhook needs a 'payment_id' string.")
        return vendors.WebhookNotice(body["payment_id"])

"""`FakePortOne`: one fake PortOne V2 server, its settings, lifecycle and test hooks."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from flask import Flask

from fake_servers.common.clock import FakeClock
from fake_servers.common.http import dumps
from fake_servers.common.server import ServedFake
from fake_servers.common.store import Expiration

from . import billing, payments, signing
from .app import create_app
from .auth import DEFAULT_API_SECRET, Authenticator
from .records import DEFAULT_CARD_NUMBER, DEFAULT_STORE_ID, Json
from .state import PortOneState

DEFAULT_PORT = 20851
# A published test secret (32 bytes, base64), like the other fakes' keys: never use it for real.
DEFAULT_WEBHOOK_SECRET = "whsec_cGF5bWVudC1zZXJ2aWNlLWZha2UtcG9ydG9uZS0zMmI="


def _number(amount: int | Decimal | float) -> int:
    """PortOne amounts are integers (KRW has no minor unit)."""
    value = Decimal(str(amount))
    if value != value.to_integral_value():
        raise ValueError(f"PortOne amounts are integers, not {amount}")
    return int(value)


def _order(amount: int | Decimal, order_name: str, custom_data: str | None, **more: Any) -> Json:
    """A checkout window's input: the amount and order name, `more`, and customData if any."""
    input: Json = {"amount": _number(amount), "orderName": order_name, **more}
    if custom_data is not None:
        input["customData"] = custom_data
    return input


class FakePortOne(ServedFake):
    """A wire-compatible fake of the PortOne V2 REST API (`https://api.portone.io`).

    `port=0` picks a free port at `start()`. Webhooks are signed with `webhook_secret`
    (Standard Webhooks) and posted to `webhook_url`; while it is None they go to the fake's own
    receiver, `<url>/internal/webhook`, which verifies them. `api_secrets` are the accepted API
    secrets; `store_id` is the store of payments whose request names none.

    The in-process methods (`pay_by_card`, `deposit`, ...) run the same code as the routes,
    without authentication, and raise `PortOneError` as the routes answer it.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        webhook_url: str | None = None,
        expiration: Expiration | None = None,
        api_secrets: Iterable[str] | None = None,
        store_id: str = DEFAULT_STORE_ID,
        webhook_secret: str = DEFAULT_WEBHOOK_SECRET,
        clock: FakeClock | None = None,
    ):
        signing.secret_bytes(webhook_secret)  # refuse an unusable secret at once
        super().__init__(host, port, webhook_url, expiration, clock)
        self.auth = Authenticator(
            set(api_secrets) if api_secrets is not None else {DEFAULT_API_SECRET}
        )
        self.store_id = store_id
        self.webhook_secret = webhook_secret
        self.state = PortOneState(self.expiration, self._deliver, self.clock)
        self.app: Flask = create_app(self)

    @property
    def api_secret(self) -> str:
        """One accepted API secret (what a client of the fake configures)."""
        return sorted(self.auth.api_secrets)[0]

    # ---- webhooks ----------------------------------------------------------------------------

    def _deliver(self, body: Json) -> None:
        url = self.webhook_url
        if url is None:
            return
        data = dumps(body).encode("utf-8")
        message_id = f"msg_{secrets.token_hex(12)}"
        headers = signing.headers(self.webhook_secret, message_id, int(self.clock.seconds()), data)
        self._sender.send(url, data, headers)

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> bool:
        return signing.verify(self.webhook_secret, headers, body, now=self.clock.seconds())

    # ---- the customer's side, in process --------------------------------------------------

    def payment(self, payment_id: str) -> Json:
        return payments.at(self.state, payment_id, None)

    def pay_by_card(
        self,
        payment_id: str,
        amount: int | Decimal,
        *,
        order_name: str = "test",
        custom_data: str | None = None,
        customer_id: str | None = None,
        currency: str = "KRW",
        card_number: str = DEFAULT_CARD_NUMBER,
    ) -> Json:
        """The customer pays `amount` by card for the merchant's `payment_id` (PAID)."""
        input = _order(amount, order_name, custom_data, currency=currency, cardNumber=card_number)
        if customer_id is not None:
            input["customer"] = {"id": customer_id}
        return payments.pay_by_card(self.state, payment_id, input, self.store_id)

    def issue_virtual_account(
        self,
        payment_id: str,
        amount: int | Decimal,
        *,
        order_name: str = "test",
        custom_data: str | None = None,
        bank: str = "SHINHAN",
    ) -> Json:
        """A virtual account for `payment_id`, waiting for `deposit` (VIRTUAL_ACCOUNT_ISSUED)."""
        input = _order(amount, order_name, custom_data, bank=bank)
        return payments.issue_virtual_account(self.state, payment_id, input, self.store_id)

    def deposit(self, payment_id: str) -> Json:
        """The customer transfers the money into the virtual account (PAID)."""
        return payments.deposit(self.state, payment_id)

    def issue_billing_key(
        self,
        customer_id: str | None = None,
        card_number: str = DEFAULT_CARD_NUMBER,
    ) -> Json:
        """Issue a billing key for a card; returns the `IssuedBillingKeyInfo`."""
        input: Json = {
            "method": {
                "card": {
                    "credential": {
                        "number": card_number,
                        "expiryYear": "28",
                        "expiryMonth": "12",
                    }
                }
            }
        }
        if customer_id is not None:
            input["customer"] = {"id": customer_id}
        key = billing.issue(self.state, input, self.store_id)["billingKeyInfo"]["billingKey"]
        return billing.at(self.state, key, None)

    def pay_with_billing_key(
        self, payment_id: str, billing_key: str, amount: int | Decimal, order_name: str = "test"
    ) -> Json:
        """Charge a billing key (as the merchant's server does); returns the payment."""
        input = {
            "billingKey": billing_key,
            "orderName": order_name,
            "amount": {"total": _number(amount)},
            "currency": "KRW",
        }
        payments.pay_with_billing_key(self.state, payment_id, input)
        return self.payment(payment_id)

    def cancel(
        self,
        payment_id: str,
        amount: int | None = None,
        reason: str = "test",
        skip_webhook: bool = False,
    ) -> Json:
        """Refund `amount` (all that remains when None), as from PortOne's console."""
        input: Json = {"reason": reason, "skipWebhook": skip_webhook}
        if amount is not None:
            input["amount"] = amount
        return payments.cancel(self.state, payment_id, input)

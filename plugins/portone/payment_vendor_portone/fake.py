"""The fake PortOne V2 server (`fake_servers.portone`) as this plugin contributes it, through
the entry point `portone` of the group `payment_service.fakes`: its port, the `PAYMENT_VENDORS`
entry that points the plugin at it, and the customer's side of its checkout window.

The merchant chooses the paymentId before the window opens; it is the `vendor.uid`. An order
id is put in customData as {"orderId": ...}, which the plugin checks.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar

from fake_servers.portone import (
    DEFAULT_API_SECRET,
    DEFAULT_PORT,
    DEFAULT_STORE_ID,
    DEFAULT_WEBHOOK_SECRET,
    FakePortOne,
)
from fake_servers.portone.checkout import CDN_SCRIPT, SCRIPT_PATH
from payment_service.vendors import FakeGateway, hookimpl

from .vendor import PortOneVendor


def _order_data(order_id: str | None) -> str | None:
    return None if order_id is None else json.dumps({"orderId": order_id})


class PortOneFake(FakeGateway):
    name = "portone"
    title = "fake PortOne V2"
    vendor = PortOneVendor
    default_port = DEFAULT_PORT
    server_class = FakePortOne
    server: FakePortOne
    checkout_scripts: ClassVar[Mapping[str, str]] = {CDN_SCRIPT: SCRIPT_PATH}
    # The names the test kit offered before fakes came from plugins.
    customer_actions: ClassVar[Mapping[str, str]] = {
        "pay_portone_card": "pay_portone_card",
        "issue_portone_virtual_account": "issue_portone_virtual_account",
        "deposit_portone_virtual_account": "deposit",
        "register_portone_billing": "register_card",
    }

    @classmethod
    def credentials(cls) -> dict[str, Any]:
        return {
            "api_secret": DEFAULT_API_SECRET,
            "store_id": DEFAULT_STORE_ID,
            "webhook_secret": DEFAULT_WEBHOOK_SECRET,
        }

    # -- by vendor code: a fresh paymentId for the order -------------------------------------

    def pay_by_card(self, amount: int | Decimal, order_id: str) -> str:
        return self.pay_portone_card(amount, f"payment-{uuid.uuid4()}", order_id)

    def issue_virtual_account(self, amount: int | Decimal, order_id: str) -> str:
        return self.issue_portone_virtual_account(amount, f"payment-{uuid.uuid4()}", order_id)

    def register_card(self, customer_id: str) -> str:
        """A billing key issued for a card, for customer `customer_id`."""
        return str(self.server.issue_billing_key(customer_id)["billingKey"])

    # -- with the merchant's own paymentId ----------------------------------------------------

    def pay_portone_card(
        self, amount: int | Decimal, payment_id: str, order_id: str | None = None
    ) -> str:
        """Pay by card for `payment_id`; returns it (PAID, Transaction.Paid sent)."""
        self.server.pay_by_card(payment_id, amount, custom_data=_order_data(order_id))
        return payment_id

    def issue_portone_virtual_account(
        self, amount: int | Decimal, payment_id: str, order_id: str | None = None
    ) -> str:
        """A virtual account for `payment_id`; returns it (waiting for the deposit)."""
        self.server.issue_virtual_account(payment_id, amount, custom_data=_order_data(order_id))
        return payment_id


@hookimpl
def register_fakes() -> list[type[FakeGateway]]:
    return [PortOneFake]

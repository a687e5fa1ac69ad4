"""What the customer does in a gateway's checkout popup, simulated at the fakes.

Each action takes the vendor code and returns the identifier the popup would hand to the
integrator's frontend — the `vendor.uid` to register with the payment server — so a test needs
no knowledge of the gateways' APIs. The plugin that contributes a fake implements its actions
(`payment_service.vendors.FakeGateway`); the names a plugin declares in `customer_actions`
(its own, e.g. `pay_<name>_card`) are offered here too.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from .fakes import GatewayFakes


class Customer:
    def __init__(self, fakes: GatewayFakes):
        self.fakes = fakes

    def pay_by_card(self, vendor_code: str, amount: int | Decimal, order_id: str) -> str:
        """Pay by card for order `order_id`; the uid, as the popup leaves the payment."""
        return self.fakes.by_code(vendor_code).pay_by_card(amount, order_id)

    def issue_virtual_account(self, vendor_code: str, amount: int | Decimal, order_id: str) -> str:
        """Ask for a virtual account to pay into; the uid of the payment awaiting `deposit`."""
        return self.fakes.by_code(vendor_code).issue_virtual_account(amount, order_id)

    def deposit(self, vendor_code: str, uid: str) -> None:
        """Transfer the money into the virtual account (the gateway then sends a webhook)."""
        self.fakes.by_code(vendor_code).deposit(uid)

    def register_card(self, vendor_code: str, customer_id: str) -> str:
        """Save a card for later charges; the uid of the reservation to register."""
        return self.fakes.by_code(vendor_code).register_card(customer_id)

    def decline_charges(self, vendor_code: str, billing_key_uid: str, count: int = 1) -> None:
        """Have the card company refuse the next `count` charges of the saved card
        `billing_key_uid` (a reservation's `vendor.uid`) at the fake."""
        self.fakes.by_code(vendor_code).decline_charges(billing_key_uid, count)

    def charges_of(self, vendor_code: str, billing_key_uid: str) -> int:
        """How many charges of the saved card the fake was asked for (declined included)."""
        return self.fakes.by_code(vendor_code).charges_of(billing_key_uid)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        fakes: GatewayFakes | None = self.__dict__.get("fakes")
        for gateway in fakes.gateways.values() if fakes is not None else ():
            if name in gateway.customer_actions:
                action: Callable[..., Any] = getattr(gateway, gateway.customer_actions[name])
                return action
        raise AttributeError(f"no installed fake offers the customer action {name!r}")

"""What the customer does in a gateway's checkout popup, simulated at the fakes.

Each method returns the identifier the popup would hand to the integrator's frontend — the
`vendor.uid` to register with the payment server — so a test needs no knowledge of the
gateways' APIs.
"""

from __future__ import annotations

import json
from decimal import Decimal

from fake_servers.iamport import FakeIamport
from fake_servers.portone import FakePortOne
from fake_servers.toss import FakeToss


def _number(amount: int | Decimal | float) -> float:
    return float(amount) if isinstance(amount, Decimal) else amount


class Customer:
    def __init__(self, iamport: FakeIamport, toss: FakeToss, portone: FakePortOne):
        self.iamport = iamport
        self.toss = toss
        self.portone = portone

    # -- iamport --------------------------------------------------------------------------

    def pay_iamport_card(self, amount: int | Decimal, order_id: str) -> str:
        """Pay by card at iamport for order `order_id`; returns the `imp_uid` (paid)."""
        return self.iamport.pay_by_card(_number(amount), order_id)["imp_uid"]

    def issue_iamport_vbank(self, amount: int | Decimal, order_id: str) -> str:
        """Ask iamport for a virtual account to pay into; returns the `imp_uid` (ready)."""
        return self.iamport.issue_vbank(_number(amount), order_id)["imp_uid"]

    def deposit_iamport_vbank(self, imp_uid: str) -> None:
        """Transfer the money into the virtual account (iamport then sends a webhook)."""
        self.iamport.deposit(imp_uid)

    def register_iamport_card(self, customer_uid: str) -> str:
        """Save a card for subscription payments; returns the `customer_uid`."""
        return self.iamport.register_card(customer_uid)["customer_uid"]

    # -- Toss Payments ---------------------------------------------------------------------

    def pay_toss_card(self, amount: int | Decimal, order_id: str) -> str:
        """Pay by card at Toss; returns the `paymentKey`, awaiting the server's approval."""
        return self.toss.pay_by_card(_number(amount), order_id, approved=False)["paymentKey"]

    def issue_toss_virtual_account(self, amount: int | Decimal, order_id: str) -> str:
        """Ask Toss for a virtual account; returns the `paymentKey` (waiting for deposit)."""
        return self.toss.issue_virtual_account(_number(amount), order_id)["paymentKey"]

    def deposit_toss_virtual_account(self, payment_key: str) -> None:
        """Transfer the money into the virtual account (Toss then sends a webhook)."""
        self.toss.deposit(payment_key)

    def register_toss_billing(self, customer_key: str) -> str:
        """Register a card for billing under `customer_key`; returns the `billingKey`."""
        return self.toss.register_billing(customer_key)["billingKey"]

    # -- PortOne V2 ------------------------------------------------------------------------
    # The merchant chooses the paymentId before the checkout window opens; it is the uid.
    # `order_id`, when given, is put in customData as {"orderId": ...}, which the plugin checks.

    def pay_portone_card(
        self, amount: int | Decimal, payment_id: str, order_id: str | None = None
    ) -> str:
        """Pay by card at PortOne for `payment_id`; returns it (PAID, Transaction.Paid sent)."""
        self.portone.pay_by_card(payment_id, amount, custom_data=_order_data(order_id))
        return payment_id

    def issue_portone_virtual_account(
        self, amount: int | Decimal, payment_id: str, order_id: str | None = None
    ) -> str:
        """Ask PortOne for a virtual account for `payment_id`; returns it (waiting)."""
        self.portone.issue_virtual_account(payment_id, amount, custom_data=_order_data(order_id))
        return payment_id

    def deposit_portone_virtual_account(self, payment_id: str) -> None:
        """Transfer the money into the virtual account (PortOne then sends Transaction.Paid)."""
        self.portone.deposit(payment_id)

    def register_portone_billing(self, customer_id: str) -> str:
        """Issue a billing key for a card, for customer `customer_id`; returns the billing key."""
        return self.portone.issue_billing_key(customer_id)["billingKey"]


def _order_data(order_id: str | None) -> str | None:
    return None if order_id is None else json.dumps({"orderId": order_id})

"""What the customer does in a gateway's checkout popup, simulated at the fakes.

Each method returns the identifier the popup would hand to the integrator's frontend — the
`vendor.uid` to register with the payment server — so a test needs no knowledge of the
gateways' APIs.
"""

from __future__ import annotations

from decimal import Decimal

from fake_servers.iamport import FakeIamport
from fake_servers.toss import FakeToss


def _number(amount: int | Decimal | float) -> float:
    return float(amount) if isinstance(amount, Decimal) else amount


class Customer:
    def __init__(self, iamport: FakeIamport, toss: FakeToss):
        self.iamport = iamport
        self.toss = toss

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

"""The fake Toss Payments server (`fake_servers.toss`) as this plugin contributes it, through
the entry point `toss` of the group `payment_service.fakes`: its port, the `PAYMENT_VENDORS`
entry that points the plugin at it, and the customer's side of its checkout popup."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fake_servers.toss import DEFAULT_PORT, DEFAULT_SECRET_KEY, FakeToss
from payment_service.vendors import FakeGateway, hookimpl

from .options import CODE
from .vendor import TossVendor


def _number(amount: int | Decimal) -> float | int:
    return float(amount) if isinstance(amount, Decimal) else amount


class TossFake(FakeGateway):
    name = "toss"
    title = "fake Toss Payments"
    vendor_code = CODE
    webhook_name = TossVendor.webhook_name
    default_port = DEFAULT_PORT
    customer_actions = (
        "pay_toss_card",
        "issue_toss_virtual_account",
        "deposit_toss_virtual_account",
        "register_toss_billing",
    )
    server: FakeToss

    def create_server(self, host: str, port: int) -> FakeToss:
        return FakeToss(host=host, port=port)

    @classmethod
    def credentials(cls) -> dict[str, Any]:
        return {"secret_key": DEFAULT_SECRET_KEY}

    def pay_by_card(self, amount: int | Decimal, order_id: str) -> str:
        """The `paymentKey`, awaiting the server's approval."""
        paid = self.server.pay_by_card(_number(amount), order_id, approved=False)
        return str(paid["paymentKey"])

    def issue_virtual_account(self, amount: int | Decimal, order_id: str) -> str:
        """The `paymentKey` of a virtual account waiting for its deposit."""
        return str(self.server.issue_virtual_account(_number(amount), order_id)["paymentKey"])

    def deposit(self, uid: str) -> None:
        self.server.deposit(uid)

    def register_card(self, customer_id: str) -> str:
        """The `billingKey` of a card registered under the customer key `customer_id`."""
        return str(self.server.register_billing(customer_id)["billingKey"])

    # The names the test kit offered before fakes came from plugins.
    pay_toss_card = pay_by_card
    issue_toss_virtual_account = issue_virtual_account
    deposit_toss_virtual_account = deposit
    register_toss_billing = register_card


@hookimpl
def register_fakes() -> list[type[FakeGateway]]:
    return [TossFake]

"""This plugin's fake (`fake_servers.toss`), contributed through the entry point `toss` of the
group `payment_service.fakes`."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar

from fake_servers.toss import DEFAULT_PORT, DEFAULT_SECRET_KEY, FakeToss
from fake_servers.toss.checkout import CDN_SCRIPTS, SCRIPT_PATHS
from payment_service.vendors import FakeGateway, hookimpl

from .vendor import TossVendor


class TossFake(FakeGateway):
    name = "toss"
    title = "fake Toss Payments"
    vendor = TossVendor
    default_port = DEFAULT_PORT
    server_class = FakeToss
    server: FakeToss
    checkout_scripts: ClassVar[Mapping[str, str]] = dict(
        zip(CDN_SCRIPTS, SCRIPT_PATHS, strict=True)
    )
    # The names the test kit offered before fakes came from plugins.
    customer_actions: ClassVar[Mapping[str, str]] = {
        "pay_toss_card": "pay_by_card",
        "issue_toss_virtual_account": "issue_virtual_account",
        "deposit_toss_virtual_account": "deposit",
        "register_toss_billing": "register_card",
    }

    @classmethod
    def credentials(cls) -> dict[str, Any]:
        return {"secret_key": DEFAULT_SECRET_KEY}

    def pay_by_card(self, amount: int | Decimal, order_id: str) -> str:
        """The `paymentKey`, awaiting the server's approval."""
        paid = self.server.pay_by_card(self.number(amount), order_id, approved=False)
        return str(paid["paymentKey"])

    def issue_virtual_account(self, amount: int | Decimal, order_id: str) -> str:
        """The `paymentKey` of a virtual account waiting for its deposit."""
        issued = self.server.issue_virtual_account(self.number(amount), order_id)
        return str(issued["paymentKey"])

    def register_card(self, customer_id: str) -> str:
        """The `billingKey` of a card registered under the customer key `customer_id`."""
        return str(self.server.register_billing(customer_id)["billingKey"])


@hookimpl
def register_fakes() -> list[type[FakeGateway]]:
    return [TossFake]

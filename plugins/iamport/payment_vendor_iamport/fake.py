"""The fake iamport server (`fake_servers.iamport`) as this plugin contributes it, through the
entry point `iamport` of the group `payment_service.fakes`: its port, the `PAYMENT_VENDORS`
entry that points the plugin at it, and the customer's side of its checkout popup."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fake_servers.iamport import DEFAULT_CREDENTIALS, DEFAULT_PORT, FakeIamport
from payment_service.vendors import FakeGateway, hookimpl

from .options import CODE
from .vendor import IamportVendor


def _number(amount: int | Decimal) -> float | int:
    return float(amount) if isinstance(amount, Decimal) else amount


class IamportFake(FakeGateway):
    name = "iamport"
    title = "fake iamport"
    vendor_code = CODE
    webhook_name = IamportVendor.webhook_name
    default_port = DEFAULT_PORT
    customer_actions = (
        "pay_iamport_card",
        "issue_iamport_vbank",
        "deposit_iamport_vbank",
        "register_iamport_card",
    )
    server: FakeIamport

    def create_server(self, host: str, port: int) -> FakeIamport:
        return FakeIamport(host=host, port=port)

    @classmethod
    def credentials(cls) -> dict[str, Any]:
        imp_key, imp_secret = next(iter(DEFAULT_CREDENTIALS.items()))
        return {"imp_key": imp_key, "imp_secret": imp_secret}

    def pay_by_card(self, amount: int | Decimal, order_id: str) -> str:
        """The `imp_uid` of a paid card payment (merchant_uid `order_id`)."""
        return str(self.server.pay_by_card(_number(amount), order_id)["imp_uid"])

    def issue_virtual_account(self, amount: int | Decimal, order_id: str) -> str:
        """The `imp_uid` of a virtual account (`ready`) to pay into."""
        return str(self.server.issue_vbank(_number(amount), order_id)["imp_uid"])

    def deposit(self, uid: str) -> None:
        self.server.deposit(uid)

    def register_card(self, customer_id: str) -> str:
        """The `customer_uid` the card is saved under (`customer_id` itself)."""
        return str(self.server.register_card(customer_id)["customer_uid"])

    # The names the test kit offered before fakes came from plugins.
    pay_iamport_card = pay_by_card
    issue_iamport_vbank = issue_virtual_account
    deposit_iamport_vbank = deposit
    register_iamport_card = register_card


@hookimpl
def register_fakes() -> list[type[FakeGateway]]:
    return [IamportFake]

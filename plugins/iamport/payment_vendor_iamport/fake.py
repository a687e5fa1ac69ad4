"""The fake iamport server, `fake_servers.iamport`, as the plugin contributes it (entry point
`iamport` of the group `payment_service.fakes`)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import ClassVar

from fake_servers.iamport import DEFAULT_CREDENTIALS, DEFAULT_PORT, FakeIamport
from fake_servers.iamport.checkout import CDN_SCRIPT, SCRIPT_PATH
from payment_service.vendors import FakeGateway, hookimpl

from .vendor import IamportVendor


class IamportFake(FakeGateway):
    name = "iamport"
    title = "fake iamport"
    vendor = IamportVendor
    default_port = DEFAULT_PORT
    server_class = FakeIamport
    server: FakeIamport
    checkout_scripts: ClassVar[Mapping[str, str]] = {CDN_SCRIPT: SCRIPT_PATH}
    # The names the test kit offered before fakes came from plugins.
    customer_actions: ClassVar[Mapping[str, str]] = {
        "pay_iamport_card": "pay_by_card",
        "issue_iamport_vbank": "issue_virtual_account",
        "deposit_iamport_vbank": "deposit",
        "register_iamport_card": "register_card",
    }

    @classmethod
    def credentials(cls) -> dict[str, str]:
        imp_key, imp_secret = next(iter(DEFAULT_CREDENTIALS.items()))
        return {"imp_key": imp_key, "imp_secret": imp_secret}

    def pay_by_card(self, amount: int | Decimal, order_id: str) -> str:
        """The `imp_uid` of a paid card payment (merchant_uid `order_id`)."""
        return str(self.server.pay_by_card(self.number(amount), order_id)["imp_uid"])

    def issue_virtual_account(self, amount: int | Decimal, order_id: str) -> str:
        """The `imp_uid` of a virtual account (`ready`) to pay into."""
        return str(self.server.issue_vbank(self.number(amount), order_id)["imp_uid"])

    def register_card(self, customer_id: str) -> str:
        """The `customer_uid` the card is saved under (`customer_id` itself)."""
        return str(self.server.register_card(customer_id)["customer_uid"])


@hookimpl
def register_fakes() -> list[type[FakeGateway]]:
    return [IamportFake]

"""Reconciliation of PortOne V2 payments, end to end: the plugin lists through the fake's
cursor route and the command finds what the gateway holds that this server does not."""

from __future__ import annotations

import uuid
from decimal import Decimal

from .conftest import PASSWORD, Gateways

CODE = "portone"
STORE = "test-portone-store"


def test_an_unregistered_portone_payment_is_an_orphan_and_a_registered_one_is_clean(
    gateways: Gateways,
) -> None:
    customer = gateways.backend.customer
    order_id = str(uuid.uuid4())
    registered = customer.pay_portone_card(15000, f"pay-{uuid.uuid4()}", order_id)
    gateways.client.histories.create(
        vendor={"code": CODE, "store_id": STORE, "uid": registered},
        source={"schema": "shop", "table": "orders", "id": order_id},
        price=15000,
        password=PASSWORD,
        webhook_url=gateways.receiver.url,
    )
    orphan = customer.pay_portone_card(7000, f"pay-{uuid.uuid4()}")

    result = gateways.reconcile(CODE, "--json")

    assert result.status == 1, result.stderr
    report = result.report
    assert report["vendor"] == CODE
    assert report["checked"] >= 2
    assert [(o["uid"], Decimal(str(o["amount"]))) for o in report["orphans"]] == [
        (orphan, Decimal(7000))
    ]
    assert report["drift"] == []
    assert report["unknown"] == []

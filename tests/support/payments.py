"""Registering a gateway payment through the SDK, as a service does after its checkout."""

from __future__ import annotations

from decimal import Decimal

from payment_service.client import PaymentClient, PaymentHistory


def register(
    client: PaymentClient,
    vendor: tuple[str, str, str],
    source: dict[str, str],
    *,
    password: str,
    webhook_url: str,
    price: int | Decimal = 20000,
) -> PaymentHistory:
    """Register the payment `vendor` = (code, store id, uid) made for `source`."""
    code, store_id, uid = vendor
    return client.histories.create(
        vendor={"code": code, "store_id": store_id, "uid": uid},
        source=source,
        price=price,
        password=password,
        webhook_url=webhook_url,
    )

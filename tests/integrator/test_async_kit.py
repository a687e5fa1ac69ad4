"""The test kit works with either client: an integrator's asyncio code, driven by its own
pytest against the kit's `payment_backend`, through the `pytest11` entry point."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

ASYNC_SUITE = """
import asyncio
import uuid

from payment_service_client import AsyncPaymentClient


def test_refund_through_the_async_client(payment_backend, payment_customer, payment_webhooks):
    order = {"schema": "shop", "table": "orders", "id": str(uuid.uuid4())}
    key = payment_customer.pay_toss_card(20000, order["id"])
    vendor = {"code": "toss.payments", "store_id": "my-store", "uid": key}

    async def pay_and_refund():
        async with AsyncPaymentClient(
            payment_backend.url, payment_backend.key, payment_backend.iv
        ) as client:
            await client.histories.create(
                vendor=vendor, source=order, price=20000, password="pw",
                webhook_url=payment_webhooks.url,
            )
            return await client.histories.cancel(
                source=order, password="pw", price=5000, reason="stock"
            )

    history = asyncio.run(pay_and_refund())
    assert history.refund == 5000
    webhook = payment_webhooks.wait_for(lambda w: w.current.refund == 5000)
    assert webhook.current.id == history.id
"""


def test_an_async_integrator_suite_passes_with_the_kit(pytester: pytest.Pytester):
    pytester.makepyfile(test_async_checkout=ASYNC_SUITE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)

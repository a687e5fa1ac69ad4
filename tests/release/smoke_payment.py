"""Run by the INSTALLED interpreter (not pytest): one Toss card payment of 20,000 created,
read and partially cancelled through the installed SDK, with the webhook received by the
installed test receiver. Prints one JSON object for the test to check.

    python smoke_payment.py API_URL TOSS_URL
"""

from __future__ import annotations

import json
import sys
import uuid

import requests

import payment_service
from payment_service.client import PaymentClient
from payment_service.settings import PUBLISHED_KEYS
from payment_service.testing import WebhookReceiver


def main(api: str, toss: str) -> None:
    key, iv = PUBLISHED_KEYS["CONNECTION"]
    order = {"schema": "shop", "table": "orders", "id": str(uuid.uuid4())}
    popup = requests.post(
        f"{toss}/v1/payments/key-in",
        auth=("test_ak_ZORzdMaqN3wQd5k6ygr5AkYXQGwy", ""),
        json={
            "method": "card",
            "cardNumber": "1111222233334444",
            "cardExpirationYear": "28",
            "cardExpirationMonth": "12",
            "amount": 20000,
            "orderId": order["id"],
            "__approved": False,
        },
        timeout=10,
    )
    popup.raise_for_status()
    vendor = {"code": "toss.payments", "store_id": "smoke", "uid": popup.json()["paymentKey"]}
    with PaymentClient(api, key, iv) as client, WebhookReceiver(key, iv) as receiver:
        created = client.histories.create(
            vendor=vendor, source=order, price=20000, password="pw", webhook_url=receiver.url
        )
        read = client.histories.at(created.id, password="pw")
        cancelled = client.histories.cancel(
            source=order, password="pw", price=5000, reason="smoke test"
        )
        webhook = receiver.wait_for(lambda w: w.current.refund == 5000, timeout=30)
    print(
        json.dumps(
            {
                "module": payment_service.__file__,
                "version": payment_service.__version__,
                "created": {"id": created.id, "price": str(created.price)},
                "read": {"id": read.id, "toss_status": read.data["status"]},
                "cancelled": {"price": str(cancelled.price), "refund": str(cancelled.refund)},
                "webhook": {"id": webhook.id, "refund": str(webhook.current.refund)},
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

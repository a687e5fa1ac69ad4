"""A card payment through Toss Payments: the customer pays in the popup, your service
registers the payment, refunds part of it, and is told so by an encrypted webhook.

    .venv/bin/python examples/toss_card.py        # with `make run` running
"""

from __future__ import annotations

import requests
from common import IV, KEY, PASSWORD, TOSS_AUTH, new_order, urls
from payment_service_client import PaymentClient

from payment_service.testing import WebhookReceiver

where = urls(__doc__.splitlines()[0], "toss")
order = new_order()

# 1. The customer pays 20,000 KRW by card in the Toss popup; the popup returns a paymentKey.
popup = requests.post(
    f"{where.toss}/v1/payments/key-in",
    auth=TOSS_AUTH,
    json={
        "method": "card",
        "cardNumber": "1111222233334444",
        "cardExpirationYear": "28",
        "cardExpirationMonth": "12",
        "amount": 20000,
        "orderId": order["id"],
        "__approved": False,  # fake-only: leave the approval to the payment server
    },
    timeout=10,
)
popup.raise_for_status()
payment_key = popup.json()["paymentKey"]
print(f"1. the customer paid at Toss: paymentKey {payment_key}, not approved yet")

with PaymentClient(where.api, KEY, IV) as client, WebhookReceiver(KEY, IV) as my_service:
    # 2. Your service registers it: the server approves it at Toss for exactly 20,000.
    payment = client.histories.create(
        vendor={"code": "toss.payments", "store_id": "my-store", "uid": payment_key},
        source=order,
        price=20000,
        password=PASSWORD,
        webhook_url=my_service.url,
    )
    status = payment.data["status"]
    print(f"2. registered payment {payment.id}: {payment.price} KRW, Toss says {status}")

    # 3. One item was out of stock: refund 5,000.
    refunded = client.histories.cancel(
        source=order, password=PASSWORD, price=5000, reason="one item out of stock"
    )
    print(f"3. refunded {refunded.refund} of {refunded.price}")

    # 4. Your service is told about it by an encrypted webhook.
    webhook = my_service.wait_for(lambda w: w.current.refund == 5000)
    print(f"4. webhook {webhook.id}: refund {webhook.previous.refund} -> {webhook.current.refund}")

"""A card payment through PortOne V2: your page chooses the paymentId before opening the
checkout window, the customer pays, your service registers the payment by that paymentId (the
server checks amount and order at PortOne), refunds part of it and gets the webhook.

    .venv/bin/python examples/portone_v2.py       # with `make run` running
"""

from __future__ import annotations

import json

import requests
from common import IV, KEY, PASSWORD, new_order, urls
from payment_service_client import PaymentClient

from payment_service.testing import WebhookReceiver

where = urls(__doc__.splitlines()[0], "portone")
order = new_order()
# Your page's id of the payment, given to PortOne's checkout window; it is the vendor uid.
payment_id = f"payment-{order['id']}"

# 1. The customer pays 25,000 KRW by card in the checkout window (the fake's test hook plays
#    the customer). `customData` carries the order's id, which the server checks.
window = requests.post(
    f"{where.portone}/internal/payments/{payment_id}/card",
    json={
        "amount": 25000,
        "orderName": "A chair",
        "customData": json.dumps({"orderId": order["id"]}),
    },
    timeout=10,
)
window.raise_for_status()
print(f"1. the customer paid at PortOne: paymentId {payment_id}, {window.json()['status']}")

with PaymentClient(where.api, KEY, IV) as client, WebhookReceiver(KEY, IV) as my_service:
    # 2. Your service registers it with the vendor code `portone` and the paymentId.
    payment = client.histories.create(
        vendor={"code": "portone", "store_id": "my-store", "uid": payment_id},
        source=order,
        price=25000,
        password=PASSWORD,
        webhook_url=my_service.url,
    )
    status = payment.data["status"]
    print(f"2. registered payment {payment.id}: {payment.price} KRW, PortOne says {status}")

    # 3. Refund 10,000 of it.
    refunded = client.histories.cancel(
        source=order, password=PASSWORD, price=10000, reason="damaged in transit"
    )
    print(f"3. refunded {refunded.refund} of {refunded.price}")

    webhook = my_service.wait_for(lambda w: w.current.refund == 10000)
    print(f"4. webhook {webhook.id}: refund {webhook.previous.refund} -> {webhook.current.refund}")

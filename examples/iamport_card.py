"""A card payment through iamport (PortOne V1): your service gets an access token, the card is
charged, the server registers the payment (checking its amount and order at iamport), and a
full refund reaches your service as a webhook.

    .venv/bin/python examples/iamport_card.py     # with `make run` running
"""

from __future__ import annotations

import requests
from common import IAMPORT_CREDENTIALS, IV, KEY, PASSWORD, new_order, urls
from payment_service_client import PaymentClient

from payment_service.testing import WebhookReceiver

where = urls(__doc__.splitlines()[0], "iamport")
order = new_order()

# 1. Every iamport call needs an access token: POST /users/getToken with the REST API key and
#    secret. It goes in `Authorization` as it is (no "Bearer").
token = requests.post(f"{where.iamport}/users/getToken", json=IAMPORT_CREDENTIALS, timeout=10)
token.raise_for_status()
access_token = token.json()["response"]["access_token"]
print("1. got an iamport access token")

# 2. The card is charged (what iamport's popup does for a card): `merchant_uid` is your order's
#    id, which the server checks at registration; card_number, expiry, birth, amount and name
#    are required.
charge = requests.post(
    f"{where.iamport}/subscribe/payments/onetime",
    headers={"Authorization": access_token},
    json={
        "merchant_uid": order["id"],
        "amount": 30000,
        "name": "Two books",
        "card_number": "1111-2222-3333-4444",
        "expiry": "2028-12",
        "birth": "880311",
    },
    timeout=10,
)
charge.raise_for_status()
paid = charge.json()["response"]
print(f"2. the customer paid at iamport: imp_uid {paid['imp_uid']}, status {paid['status']}")

with PaymentClient(where.api, KEY, IV) as client, WebhookReceiver(KEY, IV) as my_service:
    # 3. Your service registers it with the vendor code `iamport` and the `imp_uid`.
    payment = client.histories.create(
        vendor={"code": "iamport", "store_id": "my-store", "uid": paid["imp_uid"]},
        source=order,
        price=30000,
        password=PASSWORD,
        webhook_url=my_service.url,
    )
    print(f"3. registered payment {payment.id}: {payment.price} KRW, paid at {payment.paid_at}")

    # 4. The order is cancelled: refund everything.
    refunded = client.histories.cancel(
        source=order, password=PASSWORD, price=30000, reason="order cancelled"
    )
    print(f"4. refunded {refunded.refund} of {refunded.price}")

    webhook = my_service.wait_for(lambda w: w.current.refund == 30000)
    print(f"5. webhook {webhook.id}: refunded in full at {webhook.current.cancelled_at}")

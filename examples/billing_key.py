"""A saved card (billing key) through Toss Payments: the customer registers a card, and your
service records the billing key as a reservation that it can look up later by its own record.

    .venv/bin/python examples/billing_key.py      # with `make run` running
"""

from __future__ import annotations

import uuid

import requests
from common import IV, KEY, PASSWORD, TOSS_AUTH, urls
from payment_service_client import PaymentClient

where = urls(__doc__.splitlines()[0], "toss")
# The record of your service the card belongs to: here a subscription.
subscription = {"schema": "shop", "table": "subscriptions", "id": str(uuid.uuid4())}

# 1. The customer registers a card in Toss's billing window; Toss answers with a billingKey.
#    `customerKey` is your own id of the customer.
registered = requests.post(
    f"{where.toss}/v1/billing/authorizations/card",
    auth=TOSS_AUTH,
    json={
        "customerKey": subscription["id"],
        "cardNumber": "1111222233334444",
        "cardExpirationYear": "28",
        "cardExpirationMonth": "12",
        "cardPassword": "00",
        "customerBirthday": "880311",
    },
    timeout=10,
)
registered.raise_for_status()
billing_key = registered.json()["billingKey"]
print(f"1. the customer registered a card at Toss: billingKey {billing_key}")

with PaymentClient(where.api, KEY, IV) as client:
    # 2. Your service records it: the server fetches the card from Toss and stores it encrypted.
    reservation = client.reservations.create(
        vendor={"code": "toss.payments", "store_id": "my-store", "uid": billing_key},
        source=subscription,
        title="Monthly plan",
        password=PASSWORD,
    )
    print(f"2. recorded reservation {reservation.id}: card {reservation.data['cardNumber']}")

    # 3. Later, your service finds it again by its own record (and the password).
    found = client.reservations.get(source=subscription, password=PASSWORD)
    print(f"3. found it by the subscription: {found.id} ({found.title})")

"""A virtual account (bank transfer) through Toss Payments: an account is issued, your service
registers the payment while it waits for the money, the customer deposits, and the webhook
tells your service that it is paid.

    .venv/bin/python examples/virtual_account.py  # with `make run` running
"""

from __future__ import annotations

import requests
from common import IV, KEY, PASSWORD, TOSS_AUTH, new_order, urls
from payment_service_client import PaymentClient

from payment_service.testing import WebhookReceiver

where = urls(__doc__.splitlines()[0], "toss")
order = new_order()

# 1. The customer chooses a bank transfer: Toss issues an account to pay 19,900 KRW into.
issued = requests.post(
    f"{where.toss}/v1/virtual-accounts",
    auth=TOSS_AUTH,
    json={
        "method": "virtual-account",
        "orderId": order["id"],
        "orderName": "A lamp",
        "bank": "신한",
        "customerName": "홍길동",
        "amount": 19900,
    },
    timeout=10,
)
issued.raise_for_status()
account = issued.json()
print(
    f"1. Toss issued account {account['virtualAccount']['accountNumber']} "
    f"for paymentKey {account['paymentKey']}: {account['status']}"
)

with PaymentClient(where.api, KEY, IV) as client, WebhookReceiver(KEY, IV) as my_service:
    # 2. Your service registers it at once: not paid yet.
    payment = client.histories.create(
        vendor={"code": "toss.payments", "store_id": "my-store", "uid": account["paymentKey"]},
        source=order,
        price=19900,
        password=PASSWORD,
        webhook_url=my_service.url,
    )
    print(f"2. registered payment {payment.id}: paid_at {payment.paid_at}")

    # 3. The customer transfers the money (a test hook of the fake: at the real Toss, the bank
    #    does it). Toss sends its webhook to the server, which re-fetches the payment...
    deposit = requests.put(
        f"{where.toss}/internal/{account['paymentKey']}/deposit", auth=TOSS_AUTH, timeout=10
    )
    deposit.raise_for_status()
    print(f"3. the customer deposited: Toss says {deposit.json()['status']}")

    # 4. ...and tells your service.
    webhook = my_service.wait_for(lambda w: w.current.paid_at is not None)
    print(
        f"4. webhook {webhook.id}: paid_at {webhook.previous.paid_at} -> {webhook.current.paid_at}"
    )
    print(
        f"5. looked up again: paid_at {client.histories.at(payment.id, password=PASSWORD).paid_at}"
    )

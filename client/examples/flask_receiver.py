"""A Flask service receiving payment-service webhooks.

    PAYMENT_CONNECTION_ENCRYPTION_KEY=... PAYMENT_CONNECTION_ENCRYPTION_IV=... \
    PAYMENT_WEBHOOK_SIGNING_SECRET=whsec_... python flask_receiver.py

Give ``http://<this host>:8001/payments/webhook`` as the ``webhook_url`` of your payments.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from flask import Flask, request
from payment_service_client import PaymentWebhook, WebhookError, WebhookVerifier

Handler = Callable[[PaymentWebhook], None]


def create_app(verifier: WebhookVerifier, handle: Handler) -> Flask:
    app = Flask(__name__)
    seen: set[str] = set()

    @app.post("/payments/webhook")
    def payment_webhook() -> tuple[str, int]:
        try:
            webhook = verifier.flask(request)
        except WebhookError as error:
            # 401: not signed by the server; 400: not a webhook of ours. Never retried.
            return str(error), error.status
        # Deliveries may repeat (a lost answer is retried): handle each event once. A real
        # service keeps the ids in its database, in the transaction that handles the event.
        if webhook.id not in seen:
            seen.add(webhook.id)
            handle(webhook)
        return "", 204

    return app


def print_change(webhook: PaymentWebhook) -> None:
    print(f"{webhook.source.id}: paid {webhook.current.price}, refunded {webhook.current.refund}")


if __name__ == "__main__":
    verifier = WebhookVerifier(
        key=os.environ["PAYMENT_CONNECTION_ENCRYPTION_KEY"],
        iv=os.environ["PAYMENT_CONNECTION_ENCRYPTION_IV"],
        secrets=os.environ.get("PAYMENT_WEBHOOK_SIGNING_SECRET", "").split(),
    )
    create_app(verifier, print_change).run(port=8001)

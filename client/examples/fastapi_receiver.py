"""A FastAPI service receiving payment-service webhooks.

    PAYMENT_CONNECTION_ENCRYPTION_KEY=... PAYMENT_CONNECTION_ENCRYPTION_IV=... \
    PAYMENT_WEBHOOK_SIGNING_SECRET=whsec_... uvicorn --factory fastapi_receiver:from_environ

The view takes the raw `Request`: the signature covers the exact body, so it must not be
parsed (or re-serialized) by a model first.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.responses import PlainTextResponse
from payment_service_client import PaymentWebhook, WebhookError, WebhookVerifier

Handler = Callable[[PaymentWebhook], Awaitable[None]]


def create_app(verifier: WebhookVerifier, handle: Handler) -> FastAPI:
    app = FastAPI()
    seen: set[str] = set()

    @app.post("/payments/webhook", status_code=204)
    async def payment_webhook(request: Request) -> Response:
        try:
            webhook = await verifier.starlette(request)
        except WebhookError as error:
            # 401: not signed by the server; 400: not a webhook of ours. Never retried.
            return PlainTextResponse(str(error), status_code=error.status)
        # Deliveries may repeat: handle each event once (a real service keeps the ids in
        # its database).
        if webhook.id not in seen:
            seen.add(webhook.id)
            await handle(webhook)
        return Response(status_code=204)

    return app


async def print_change(webhook: PaymentWebhook) -> None:
    print(f"{webhook.source.id}: paid {webhook.current.price}, refunded {webhook.current.refund}")


def from_environ() -> FastAPI:
    verifier = WebhookVerifier(
        key=os.environ["PAYMENT_CONNECTION_ENCRYPTION_KEY"],
        iv=os.environ["PAYMENT_CONNECTION_ENCRYPTION_IV"],
        secrets=os.environ.get("PAYMENT_WEBHOOK_SIGNING_SECRET", "").split(),
    )
    return create_app(verifier, print_change)

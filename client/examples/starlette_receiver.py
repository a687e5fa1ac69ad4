"""A Starlette service receiving payment-service webhooks (FastAPI: fastapi_receiver.py).

    PAYMENT_CONNECTION_ENCRYPTION_KEY=... PAYMENT_CONNECTION_ENCRYPTION_IV=... \
    PAYMENT_WEBHOOK_SIGNING_SECRET=whsec_... uvicorn --factory starlette_receiver:from_environ
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable

from payment_service_client import PaymentWebhook, WebhookError, WebhookVerifier
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

Handler = Callable[[PaymentWebhook], Awaitable[None]]


def create_app(verifier: WebhookVerifier, handle: Handler) -> Starlette:
    seen: set[str] = set()

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

    return Starlette(routes=[Route("/payments/webhook", payment_webhook, methods=["POST"])])


async def print_change(webhook: PaymentWebhook) -> None:
    print(f"{webhook.source.id}: paid {webhook.current.price}, refunded {webhook.current.refund}")


def from_environ() -> Starlette:
    verifier = WebhookVerifier(
        key=os.environ["PAYMENT_CONNECTION_ENCRYPTION_KEY"],
        iv=os.environ["PAYMENT_CONNECTION_ENCRYPTION_IV"],
        secrets=os.environ.get("PAYMENT_WEBHOOK_SIGNING_SECRET", "").split(),
    )
    return create_app(verifier, print_change)

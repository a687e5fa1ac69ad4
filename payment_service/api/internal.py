"""R13: a receiver of our own outgoing webhooks, for local trials and tests.

Bounded (the newest N are kept) and not mounted in `real` mode, unlike the original's, which
grew without limit in production.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

from flask import Response, current_app
from flask.views import MethodView

from ..transport import Blueprint
from .schemas import WebhookHistorySchema

blp = Blueprint(
    "internal",
    __name__,
    url_prefix="/payments/internal",
    description="Test receiver of outgoing webhooks (not in real mode).",
)


class ReceivedWebhooks:
    """The newest webhooks R13 received, oldest first."""

    def __init__(self, capacity: int):
        self._items: deque[dict[str, Any]] = deque(maxlen=capacity)
        self._lock = threading.Lock()

    def add(self, webhook: dict[str, Any]) -> None:
        with self._lock:
            self._items.append(webhook)

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._items)


@blp.route("/webhook")
class InternalWebhook(MethodView):
    @blp.encrypted_arguments(WebhookHistorySchema)
    @blp.response(201, description="Received (empty body).")
    def post(self, webhook: dict[str, Any]) -> Response:
        """Keep an outgoing webhook in memory (R13)."""
        webhook["source"] = vars(webhook["source"])
        received(current_app).add(webhook)
        return Response(b"", status=201)


def received(app: Any) -> ReceivedWebhooks:
    """The webhooks R13 kept for `app` (created on first use)."""
    store = app.extensions.get("payment_service.internal_webhooks")
    if store is None:
        capacity = app.extensions["payment_service"].settings.internal_webhook_capacity
        store = app.extensions["payment_service.internal_webhooks"] = ReceivedWebhooks(capacity)
    return store

"""The example gateway's fake, which this plugin contributes to the test kit and to
`payment-service fakes` (entry point `example` of the group `payment_service.fakes`): the
imaginary gateway in memory, served on a port, and how the plugin is pointed at it.

A real plugin's fake is usually bigger; what the core needs of it is `ExampleFake` below.
"""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from flask import Flask, request

from fake_servers.common.server import ServerThread
from payment_service.vendors import FakeGateway, hookimpl

from .vendor import ExampleVendor

API_KEY = "ex_test_key"
DEFAULT_PORT = 40851


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class ExampleGateway(ServerThread):
    """The gateway, in memory, served on `host:port` (0: a free one) once started. It sends no
    webhooks; `webhook_url` is kept for the test kit, which sets it."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.payments: dict[str, dict[str, Any]] = {}
        self.cards: dict[tuple[str, str], dict[str, Any]] = {}
        self.lock = threading.Lock()
        self.webhook_url: str | None = None
        super().__init__(self._build(), host, port)

    # What a customer does in the gateway's checkout, before the service registers it.
    def authorize(self, order_id: str, amount: int, currency: str = "KRW") -> dict[str, Any]:
        payment = {
            "id": f"pay_{uuid.uuid4().hex}",
            "order_id": order_id,
            "amount": amount,
            "currency": currency,
            "status": "authorized",
            "captured_at": None,
            "refunds": [],
        }
        self.payments[payment["id"]] = payment
        return payment

    def save_card(self, customer: str) -> dict[str, Any]:
        card = {"id": f"card_{uuid.uuid4().hex}", "customer": customer, "last4": "4444"}
        self.cards[(customer, card["id"])] = card
        return card

    def _build(self) -> Flask:
        app = Flask(__name__)

        @app.before_request
        def authenticate() -> Any:
            if request.headers.get("Authorization") != f"Bearer {API_KEY}":
                return {"message": "Invalid API key."}, 401
            return None

        @app.get("/payments/<id>")
        def payment(id: str) -> Any:
            found = self.payments.get(id)
            return found if found is not None else ({"message": "No such payment."}, 404)

        @app.post("/payments/<id>/capture")
        def capture(id: str) -> Any:
            with self.lock:
                found = self.payments.get(id)
                if found is None:
                    return {"message": "No such payment."}, 404
                if found["status"] != "authorized":
                    return {"message": f"The payment is {found['status']}."}, 409
                if request.get_json()["amount"] != found["amount"]:
                    return {"message": "The amount differs from the authorized one."}, 422
                found.update(status="captured", captured_at=now())
                return found, 201

        @app.post("/payments/<id>/refunds")
        def refund(id: str) -> Any:
            body = request.get_json()
            with self.lock:
                found = self.payments.get(id)
                if found is None:
                    return {"message": "No such payment."}, 404
                refunded = sum(r["amount"] for r in found["refunds"])
                if body["amount"] > found["amount"] - refunded:
                    return {"message": "The refund exceeds what remains."}, 422
                found["refunds"].append(
                    {"amount": body["amount"], "reason": body["reason"], "refunded_at": now()}
                )
                if refunded + body["amount"] == found["amount"]:
                    found["status"] = "refunded"
                return found, 201

        @app.get("/customers/<customer>/cards/<id>")
        def card(customer: str, id: str) -> Any:
            found = self.cards.get((customer, id))
            return found if found is not None else ({"message": "No such card."}, 404)

        return app


class ExampleFake(FakeGateway):
    name = "example"
    title = "fake example gateway"
    vendor = ExampleVendor
    default_port = DEFAULT_PORT
    server_class = ExampleGateway
    server: ExampleGateway

    @classmethod
    def credentials(cls) -> dict[str, Any]:
        return {"api_key": API_KEY}

    def pay_by_card(self, amount: int | Decimal, order_id: str) -> str:
        """An authorized payment, which the server captures when it is registered."""
        return str(self.server.authorize(order_id, int(amount))["id"])

    def register_card(self, customer_id: str) -> str:
        return str(self.server.save_card(customer_id)["id"])


@hookimpl
def register_fakes() -> list[type[FakeGateway]]:
    return [ExampleFake]

"""The imaginary gateway of `examples/vendor-example`, in memory: what its plugin talks to."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, request

API_KEY = "ex_test_key"


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class ExampleGateway:
    def __init__(self) -> None:
        self.payments: dict[str, dict[str, Any]] = {}
        self.cards: dict[tuple[str, str], dict[str, Any]] = {}
        self.lock = threading.Lock()
        self.app = self._build()

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

"""The Flask application: routes of the Toss API, translated to calls into the behaviour modules.

Each route checks in the original's order: body parsing and validation (400) first, then
authentication (403), then the behaviour (404, 422, 403).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, request

from fake_servers.common.checkout import checkout_routes
from fake_servers.common.http import (
    empty_response,
    install_conventions,
    json_response,
    read_json_body,
)
from fake_servers.common.validation import Schema, require

from . import billing, cash_receipts, payments, schemas, transactions
from .auth import authenticate
from .checkout import TossCheckout

if TYPE_CHECKING:
    from .fake import FakeToss


def create_app(fake: FakeToss) -> Flask:
    """Build the WSGI application answering for `fake` (its state, keys and webhook target)."""
    app = Flask("fake_servers.toss")
    # Fastify routes `//v1/...` as an unknown path; Werkzeug would redirect it instead.
    app.url_map.merge_slashes = False
    install_conventions(app)
    state = fake.state

    def body(schema: Schema) -> Any:
        return require(schema, read_json_body())

    def authorize() -> None:
        authenticate(request.headers.get("Authorization"), fake.accepts)

    def answered(method: str, rule: str, action: Callable[..., Any]) -> None:
        """A route that reads no body: authenticate, then answer 200 with
        `action(state, *path parameters)`."""

        def view(**path: str) -> Response:
            authorize()
            return json_response(action(state, *path.values()))

        app.add_url_rule(rule, f"{method} {rule}", view, methods=[method])

    answered("GET", "/v1/payments/<payment_key>", payments.at)
    answered("GET", "/v1/payments/orders/<order_id>", payments.by_order)
    # The SDK sends no body to deposit, and whatever else arrives is irrelevant.
    answered("PUT", "/internal/<payment_key>/deposit", payments.deposit)

    @app.get("/v1/transactions")
    def transactions_list() -> Response:
        # Unlike the other routes, this one reads its query (startDate, endDate, ...).
        authorize()
        return json_response(transactions.list_transactions(state, request.args.to_dict()))

    def created(rule: str, schema: Schema, action: Callable[..., Any]) -> None:
        """A POST route of the common shape: validate the body, authenticate, then answer 201
        with `action(state, *path parameters, input)`."""

        def view(**path: str) -> Response:
            input = body(schema)
            authorize()
            return json_response(action(state, *path.values(), input), 201)

        app.add_url_rule(rule, f"POST {rule}", view, methods=["POST"])

    created("/v1/payments/key-in", schemas.CARD_PAYMENT_CREATE, payments.key_in)
    created("/v1/payments/<payment_key>", schemas.APPROVAL, payments.approve)
    created("/v1/payments/<payment_key>/cancel", schemas.PAYMENT_CANCEL_CREATE, payments.cancel)
    created("/v1/virtual-accounts", schemas.VIRTUAL_ACCOUNT_CREATE, payments.create_virtual_account)
    created("/v1/billing/authorizations/card", schemas.BILLING_CREATE, billing.register)
    created("/v1/billing/authorizations/<billing_key>", schemas.BILLING_CUSTOMER_KEY, billing.at)
    created("/v1/billing/<billing_key>", schemas.BILLING_PAYMENT_STORE, billing.pay)
    created("/v1/cash-receipts", schemas.CASH_RECEIPT_CREATE, cash_receipts.issue)
    # The body is required and validated, but its amount changes nothing (as in the original).
    created(
        "/v1/cash-receipts/<receipt_key>/cancel",
        schemas.CASH_RECEIPT_CANCEL,
        lambda state, receipt_key, _input: cash_receipts.cancel(state, receipt_key),
    )

    @app.post("/internal/webhook")
    def internal_webhook() -> Response:
        # The built-in receiver is unauthenticated, as the fake's own deliveries carry no key.
        payments.receive_webhook(state, body(schemas.PAYMENT_WEBHOOK))
        return empty_response(201)

    # The stand-in browser SDK and the window it opens (not Toss's REST API).
    app.register_blueprint(checkout_routes(TossCheckout(state), state))
    return app

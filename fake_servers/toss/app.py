"""The Flask application: routes of the Toss API, translated to calls into the behaviour modules.

Each route checks in the original's order: body parsing and validation (400) first, then
authentication (403), then the behaviour (404, 422, 403).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Flask, Response, request

from fake_servers.common.http import (
    empty_response,
    install_conventions,
    json_response,
    read_json_body,
)
from fake_servers.common.validation import Schema, require

from . import billing, cash_receipts, payments, schemas, transactions
from .auth import authenticate

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

    @app.get("/v1/payments/<payment_key>")
    def payment_at(payment_key: str) -> Response:
        authorize()
        return json_response(payments.at(state, payment_key))

    @app.get("/v1/transactions")
    def transactions_list() -> Response:
        # Unlike the other routes, this one reads its query (startDate, endDate, ...).
        authorize()
        return json_response(transactions.list_transactions(state, request.args.to_dict()))

    @app.post("/v1/payments/key-in")
    def payment_key_in() -> Response:
        input = body(schemas.CARD_PAYMENT_CREATE)
        authorize()
        return json_response(payments.key_in(state, input), 201)

    @app.post("/v1/payments/<payment_key>")
    def payment_approve(payment_key: str) -> Response:
        input = body(schemas.APPROVAL)
        authorize()
        return json_response(payments.approve(state, payment_key, input), 201)

    @app.post("/v1/payments/<payment_key>/cancel")
    def payment_cancel(payment_key: str) -> Response:
        input = body(schemas.PAYMENT_CANCEL_CREATE)
        authorize()
        return json_response(payments.cancel(state, payment_key, input), 201)

    @app.post("/v1/virtual-accounts")
    def virtual_account_create() -> Response:
        input = body(schemas.VIRTUAL_ACCOUNT_CREATE)
        authorize()
        return json_response(payments.create_virtual_account(state, input), 201)

    @app.post("/v1/billing/authorizations/card")
    def billing_register() -> Response:
        input = body(schemas.BILLING_CREATE)
        authorize()
        return json_response(billing.register(state, input), 201)

    @app.post("/v1/billing/authorizations/<billing_key>")
    def billing_at(billing_key: str) -> Response:
        input = body(schemas.BILLING_CUSTOMER_KEY)
        authorize()
        return json_response(billing.at(state, billing_key, input), 201)

    @app.post("/v1/billing/<billing_key>")
    def billing_pay(billing_key: str) -> Response:
        input = body(schemas.BILLING_PAYMENT_STORE)
        authorize()
        return json_response(billing.pay(state, billing_key, input), 201)

    @app.post("/v1/cash-receipts")
    def cash_receipt_issue() -> Response:
        input = body(schemas.CASH_RECEIPT_CREATE)
        authorize()
        return json_response(cash_receipts.issue(state, input), 201)

    @app.post("/v1/cash-receipts/<receipt_key>/cancel")
    def cash_receipt_cancel(receipt_key: str) -> Response:
        # The body is required and validated, but its amount changes nothing (as in the original).
        body(schemas.CASH_RECEIPT_CANCEL)
        authorize()
        return json_response(cash_receipts.cancel(state, receipt_key), 201)

    @app.put("/internal/<payment_key>/deposit")
    def internal_deposit(payment_key: str) -> Response:
        # No body is read: the SDK sends none, and whatever else arrives is irrelevant.
        authorize()
        return json_response(payments.deposit(state, payment_key))

    @app.post("/internal/webhook")
    def internal_webhook() -> Response:
        # The built-in receiver is unauthenticated, as the fake's own deliveries carry no key.
        payments.receive_webhook(state, body(schemas.PAYMENT_WEBHOOK))
        return empty_response(201)

    return app

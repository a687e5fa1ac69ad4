"""The Flask application: PortOne V2's routes, and the test hooks under `/internal`.

Every PortOne route authenticates first (401 `UNAUTHORIZED`), then validates (400
`INVALID_REQUEST`), then acts. Successful answers are 200, as PortOne's (and its SDKs expect).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from fake_servers.common.checkout import checkout_routes
from fake_servers.common.http import json_response

from . import billing, listing, payments, validation
from .checkout import PortOneCheckout
from .errors import PortOneError, invalid_request
from .records import Json

if TYPE_CHECKING:
    from .fake import FakePortOne


def _body() -> Any:
    raw = request.get_data(cache=True)
    if not raw:
        return {}
    try:
        return validation.obj(json.loads(raw.decode("utf-8")))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise invalid_request("잘못된 요청입니다: 본문이 JSON이 아닙니다.") from None


def create_app(fake: FakePortOne) -> Flask:
    app = Flask("fake_servers.portone")
    app.url_map.merge_slashes = False
    state = fake.state

    def authorize() -> None:
        fake.auth.require(request.headers.get("Authorization"))

    def store_query() -> str | None:
        return request.args.get("storeId") or None

    @app.errorhandler(PortOneError)
    def portone_error(error: PortOneError) -> Response:
        return json_response(error.body(), error.status)

    @app.errorhandler(HTTPException)
    def framework_error(error: HTTPException) -> Response:
        status = error.code or 500
        if status in (404, 405):
            body = {"type": "NOT_FOUND", "message": f"{request.method} {request.path}"}
            return json_response(body, 404)
        return json_response({"type": "INVALID_REQUEST", "message": error.description}, status)

    # ---- authentication ----------------------------------------------------------------

    @app.post("/login/api-secret")
    def login() -> Response:
        secret = validation.string(_body(), "apiSecret")
        assert secret is not None
        return json_response(fake.auth.login(secret))

    def route(method: str, rule: str, answer: Callable[..., Json]) -> None:
        """A PortOne route: authenticate, then answer 200 with `answer(*path parameters)`,
        which reads and validates the body or query itself."""

        def view(**path: str) -> Response:
            authorize()
            return json_response(answer(*path.values()))

        app.add_url_rule(rule, f"{method} {rule}", view, methods=[method])

    def query_body() -> Json:
        return validation.query_body(request.args.get("requestBody"))

    # ---- payments ----------------------------------------------------------------------

    route("GET", "/payments/<payment_id>", lambda id: payments.at(state, id, store_query()))
    route("GET", "/payments", lambda: listing.search(state, query_body()))
    route("GET", "/payments-by-cursor", lambda: listing.by_cursor(state, query_body()))
    route("POST", "/payments/<payment_id>/cancel", lambda id: payments.cancel(state, id, _body()))
    route(
        "POST",
        "/payments/<payment_id>/billing-key",
        lambda id: payments.pay_with_billing_key(state, id, _body()),
    )

    # ---- billing keys ------------------------------------------------------------------

    route("POST", "/billing-keys", lambda: billing.issue(state, _body(), fake.store_id))
    route("GET", "/billing-keys/<billing_key>", lambda key: billing.at(state, key, store_query()))
    route(
        "DELETE",
        "/billing-keys/<billing_key>",
        lambda key: billing.delete(state, key, store_query()),
    )

    # ---- test hooks: the customer's side of the checkout window (not PortOne's API) -----

    @app.post("/internal/payments/<payment_id>/card")
    def internal_card(payment_id: str) -> Response:
        return json_response(payments.pay_by_card(state, payment_id, _body(), fake.store_id))

    @app.post("/internal/payments/<payment_id>/virtual-account")
    def internal_virtual_account(payment_id: str) -> Response:
        body = _body()
        return json_response(payments.issue_virtual_account(state, payment_id, body, fake.store_id))

    @app.post("/internal/payments/<payment_id>/deposit")
    def internal_deposit(payment_id: str) -> Response:
        return json_response(payments.deposit(state, payment_id))

    @app.post("/internal/webhook")
    def internal_webhook() -> Response:
        # The built-in receiver checks signatures as a merchant's server must.
        raw = request.get_data(cache=True)
        if not fake.verify_webhook(request.headers, raw):
            return json_response({"type": "UNAUTHORIZED", "message": "bad signature"}, 401)
        payments.receive_webhook(state, _body())
        return Response(b"", status=200)

    # ---- the stand-in browser SDK and the window it opens (PortOne's part in the browser) ----

    app.register_blueprint(checkout_routes(PortOneCheckout(state, lambda: fake.store_id), state))
    return app

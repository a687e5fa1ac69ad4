"""The routes of the checkout: the stand-in scripts, the window, and the customer's bank.

* `GET <the real script's path>`: the stand-in script, bound to this fake's address;
* `POST /checkout/windows` `{request, window, origin}`: 201 `{id, url}`, or 200 `{refused:
  {code, message}}` when the gateway's SDK would refuse the request (400 for a body no script
  sends);
* `GET /checkout/windows/<id>`: the window, the order's name and amount, a button per outcome;
* `POST /checkout/windows/<id>/<outcome>`: 200 `{result, redirect}` or `{refused}`; 409 when
  the window was answered already, 404 when it expired (or no such outcome);
* `GET` and `POST /checkout/bank/<uid>`: a virtual account at the customer's bank; POST pays in.

The script posts its JSON as `text/plain`, which a browser sends cross-origin without a
preflight; the answers allow every origin, as the gateways' own SDK endpoints do. A refusal is
an answer, not an HTTP error: browsers log failed requests in the page's console, and the real
SDKs keep it clean.
"""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, redirect, render_template_string, request, url_for

from ..http import json_response
from ..state import FakeState
from .gateway import OUTCOMES, WINDOWS, CheckoutGateway, CheckoutRefused, Window, packaged_text

_PACKAGE = __package__ or "fake_servers.common.checkout"
SHARED_SCRIPT = packaged_text(_PACKAGE, "checkout.js")
WINDOW_PAGE = packaged_text(_PACKAGE, "window.html")
BANK_PAGE = packaged_text(_PACKAGE, "bank.html")

JAVASCRIPT = "text/javascript; charset=utf-8"
INVALID = "INVALID_REQUEST"


def checkout_routes(gateway: CheckoutGateway, state: FakeState) -> Blueprint:
    """The checkout of `gateway`, keeping its open windows in `state.checkout_windows` (they
    expire with the fake's other records) and completing each under `state.lock`."""
    routes = Blueprint("fake_checkout", __name__)
    windows = state.checkout_windows

    @routes.after_request
    def any_origin(response: Response) -> Response:
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response

    for number, (path, source) in enumerate(gateway.scripts.items()):

        def script(source: str = source) -> Response:
            return Response(
                bound_script(gateway, source, _origin()),
                content_type=JAVASCRIPT,
                headers={"Cache-Control": "no-store"},
            )

        routes.add_url_rule(path, f"script_{number}", script, methods=["GET"])

    @routes.post("/checkout/windows")
    def open_window() -> Response:
        try:
            body = json.loads(request.get_data(as_text=True) or "null")
        except ValueError:
            body = None
        if not isinstance(body, dict) or body.get("window") not in WINDOWS:
            message = f"not a stand-in script's request: a JSON object with `window` in {WINDOWS}"
            return _refused(INVALID, message, 400)
        kind = body["window"]
        try:
            order = gateway.open(body.get("request"), kind)
        except CheckoutRefused as refused:
            return json_response({"refused": refused.body()})
        window = Window(str(uuid.uuid4()), order, kind, _page_origin(body.get("origin")))
        windows.set(window.id, window)
        url = f"{_origin()}/checkout/windows/{window.id}"
        return json_response({"id": window.id, "url": url}, 201)

    @routes.get("/checkout/windows/<window_id>")
    def show_window(window_id: str) -> Response | tuple[str, int]:
        window = windows.find(window_id)
        if window is None:
            return _page(gone="This checkout window has expired or never existed."), 404
        order = window.order
        settings = {
            "id": window.id,
            "kind": window.kind,
            "origin": window.origin,
            "finish": f"{_origin()}/checkout/windows/{window.id}/",
        }
        page = render_template_string(
            WINDOW_PAGE,
            gateway=gateway.name,
            title=gateway.title,
            order=order,
            amount=money(order.amount, order.currency),
            settings=settings,
            done=window.done is not None,
        )
        return Response(page, content_type="text/html; charset=utf-8")

    @routes.post("/checkout/windows/<window_id>/<outcome>")
    def finish(window_id: str, outcome: str) -> Response:
        if outcome not in OUTCOMES:
            return _refused("UNKNOWN_OUTCOME", f"no outcome {outcome!r}", 404)
        with state.lock:
            window = windows.find(window_id)
            if window is None:
                return _refused("WINDOW_EXPIRED", "this checkout window has expired", 404)
            if window.done is not None:
                return _refused("ALREADY_COMPLETED", "this checkout window is finished", 409)
            try:
                done = gateway.complete(window.order, outcome)
            except CheckoutRefused as refused:
                return json_response({"refused": refused.body()})
            window.done = done
        return json_response({"result": done.result, "redirect": done.redirect})

    @routes.route("/checkout/bank/<path:uid>", methods=["GET", "POST"])
    def bank(uid: str) -> Response | tuple[str, int]:
        problem = None
        if request.method == "POST":
            try:
                gateway.deposit(uid)
            except CheckoutRefused as refused:
                problem = refused.message
            else:
                # Post/redirect/get: reloading the page shows the account, never pays twice.
                return redirect(url_for(".bank", uid=uid), 303)
        account = gateway.account(uid)
        if account is None:
            return _page(gone=f"The bank knows no virtual account for payment {uid}."), 404
        page = render_template_string(
            BANK_PAGE,
            title=gateway.title,
            account=account,
            amount=money(account.amount, account.currency),
            problem=problem,
        )
        return page, 409 if problem else 200

    return routes


def bound_script(gateway: CheckoutGateway, source: str, origin: str) -> str:
    """A stand-in script as served: the shared window code and the gateway's own, in a scope
    of their own, talking to this fake at `origin`."""
    return (
        f"/* {gateway.title}: a stand-in for the gateway's browser SDK, served by the fake for "
        "tests and demos. It opens the fake's checkout window; no real payment is made. */\n"
        '(function () {\n"use strict";\n'
        f"var FAKE_ORIGIN = {json.dumps(origin)};\n"
        f"{SHARED_SCRIPT}\n{source}\n}})();\n"
    )


def money(amount: int | float | Decimal, currency: str) -> str:
    """An amount as a customer reads it: `20,000 KRW`, `12.50 USD`."""
    value = Decimal(str(amount))
    text = f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"
    return f"{text} {currency}"


def _origin() -> str:
    """Where the browser reaches this fake (the address it asked, so a proxy's is kept)."""
    return request.host_url.rstrip("/")


def _page_origin(value: Any) -> str | None:
    """The merchant page's origin, where the window posts its result (None: any)."""
    if not isinstance(value, str):
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path:
        return None
    return value


def _refused(code: str, message: str, status: int) -> Response:
    return json_response({"refused": {"code": code, "message": message}}, status)


GONE_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,">
<title>Not found</title></head>
<body><p data-testid="checkout-gone">{{ gone }}</p></body></html>
"""


def _page(*, gone: str) -> str:
    return render_template_string(GONE_PAGE, gone=gone)

"""The HTTP routes of the fake, translating requests into calls on the state and back.

Order of checks on every protected route, as in the original: the body or query is parsed and
validated first (400), then the token (403/404), then the records (404/422).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, request

from fake_servers.common.http import empty_response, json_response, read_json_body
from fake_servers.common.validation import QUERY, Schema, require

from . import schemas
from .auth import authorize, issue_token
from .certifications import confirm_otp, find_certification, remove_certification, request_otp
from .listing import list_by_status
from .payments import (
    cancel,
    deposit,
    find_by_order,
    find_payment,
    issue_vbank,
    pay_again,
    pay_by_card,
    update_vbank,
)
from .receipts import cancel_receipt, find_receipt, issue_receipt
from .state import Record, State
from .subscriptions import find_card, register_card, remove_card

EXTENSION = "fake_iamport"

routes = Blueprint("fake_iamport", __name__)
# A state operation behind a route: (state, path value?, body?) -> the record to answer.
Operation = Callable[..., Record]


def _state() -> State:
    state: State = current_app.extensions[EXTENSION]
    return state


def _body(schema: Schema) -> dict[str, Any]:
    body: dict[str, Any] = require(schema, read_json_body())
    return body


def _authorize() -> None:
    authorize(_state(), request.headers.get("Authorization"))


def _envelope(payload: Any, status: int) -> Response:
    """iamport's success envelope; POST answers 201 and the other methods 200."""
    return json_response({"code": 0, "message": "success", "response": payload}, status)


def _success(record: Record, status: int) -> Response:
    return _envelope(_state().snapshot(record), status)


def _record_route(method: str, rule: str, schema: Schema | None, operation: Operation) -> None:
    """Register a protected route that answers the record `operation` returns: the body is
    checked against `schema` (when there is one) before the token; `operation` takes the state,
    then the path's value, then the body. POST answers 201, the other methods 200."""
    status = 201 if method == "POST" else 200

    def view(**path: str) -> Response:
        body = () if schema is None else (_body(schema),)
        _authorize()
        return _success(operation(_state(), *path.values(), *body), status)

    routes.add_url_rule(rule, operation.__name__, view, methods=[method])


for _route in (
    ("POST", "/subscribe/payments/onetime", schemas.ONETIME, pay_by_card),
    ("POST", "/subscribe/payments/again", schemas.AGAIN, pay_again),
    # The path names the customer; the body's customer_uid is required yet ignored.
    ("POST", "/subscribe/customers/<customer_uid>", schemas.SUBSCRIPTION_CREATE, register_card),
    ("GET", "/subscribe/customers/<customer_uid>", None, find_card),
    ("DELETE", "/subscribe/customers/<customer_uid>", None, remove_card),
    ("POST", "/vbanks", schemas.VBANK_CREATE, issue_vbank),
    ("PUT", "/vbanks", schemas.VBANK_UPDATE, update_vbank),
    ("POST", "/payments/cancel", schemas.CANCEL, cancel),
    ("POST", "/receipts/<imp_uid>", schemas.RECEIPT_CREATE, issue_receipt),
    ("GET", "/receipts/<imp_uid>", None, find_receipt),
    ("DELETE", "/receipts/<imp_uid>", None, cancel_receipt),
    ("GET", "/certifications/<imp_uid>", None, find_certification),
    ("DELETE", "/certifications/<imp_uid>", None, remove_certification),
):
    _record_route(*_route)


@routes.post("/users/getToken")
def get_token() -> Response:
    accessor = _body(schemas.ACCESSOR)
    return _success(issue_token(_state(), accessor), 201)


@routes.get("/payments/status/<payment_status>")
def list_payments(payment_status: str) -> Response:
    query = require(schemas.PAYMENT_LIST_QUERY, _query(numbers=True), QUERY)
    _authorize()
    return _envelope(list_by_status(_state(), payment_status, query), 200)


@routes.get("/payments/find/<merchant_uid>")
@routes.get("/payments/find/<merchant_uid>/<payment_status>")
def find_payment_by_order(merchant_uid: str, payment_status: str | None = None) -> Response:
    _authorize()
    return _success(find_by_order(_state(), merchant_uid, payment_status), 200)


@routes.get("/payments/<imp_uid>")
def get_payment(imp_uid: str) -> Response:
    require(schemas.PAYMENT_QUERY, _query(), QUERY)
    _authorize()
    return _success(find_payment(_state(), imp_uid), 200)


def _query(numbers: bool = False) -> dict[str, Any]:
    """The query as typia's TypedQuery sees it: booleans (or, for routes whose query holds
    numbers, integers) decoded, other text left for the check."""
    decoded: dict[str, Any] = {}
    for key, value in request.args.items():
        if numbers:
            decoded[key] = int(value) if value.lstrip("-").isdigit() else value
        else:
            decoded[key] = {"true": True, "1": True, "false": False, "0": False}.get(value, value)
    return decoded


@routes.post("/certifications/otp/request")
def request_certification() -> Response:
    person = _body(schemas.CERTIFICATION_CREATE)
    _authorize()
    certification = request_otp(_state(), person)
    return _envelope({"imp_uid": certification.imp_uid}, 201)


@routes.post("/certifications/otp/confirm/<imp_uid>")
def confirm_certification(imp_uid: str) -> Response:
    answer = _body(schemas.CERTIFICATION_CONFIRM)
    _authorize()
    return _success(confirm_otp(_state(), imp_uid, answer["otp"]), 201)


@routes.put("/internal/deposit/<imp_uid>")
def deposit_vbank(imp_uid: str) -> Response:
    _authorize()
    deposit(_state(), imp_uid)
    return empty_response(200)


@routes.post("/internal/webhook")
def webhook_sink() -> Response:
    """The default webhook target: validates what it receives and drops it."""
    _body(schemas.WEBHOOK)
    return empty_response(201)

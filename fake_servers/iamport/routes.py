"""The 20 HTTP routes of the fake, translating requests into calls on the state and back.

Order of checks on every protected route, as in the original: the body or query is parsed and
validated first (400), then the token (403/404), then the records (404/422).
"""

from __future__ import annotations

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


@routes.post("/users/getToken")
def get_token() -> Response:
    accessor = _body(schemas.ACCESSOR)
    return _success(issue_token(_state(), accessor), 201)


@routes.post("/subscribe/payments/onetime")
def onetime() -> Response:
    order = _body(schemas.ONETIME)
    _authorize()
    return _success(pay_by_card(_state(), order), 201)


@routes.post("/subscribe/payments/again")
def again() -> Response:
    order = _body(schemas.AGAIN)
    _authorize()
    return _success(pay_again(_state(), order), 201)


@routes.post("/subscribe/customers/<customer_uid>")
def create_customer(customer_uid: str) -> Response:
    card = _body(schemas.SUBSCRIPTION_CREATE)
    _authorize()
    # The path names the customer; the body's customer_uid is required yet ignored.
    return _success(register_card(_state(), customer_uid, card), 201)


@routes.get("/subscribe/customers/<customer_uid>")
def get_customer(customer_uid: str) -> Response:
    _authorize()
    return _success(find_card(_state(), customer_uid), 200)


@routes.delete("/subscribe/customers/<customer_uid>")
def delete_customer(customer_uid: str) -> Response:
    _authorize()
    return _success(remove_card(_state(), customer_uid), 200)


@routes.post("/vbanks")
def create_vbank() -> Response:
    order = _body(schemas.VBANK_CREATE)
    _authorize()
    return _success(issue_vbank(_state(), order), 201)


@routes.put("/vbanks")
def edit_vbank() -> Response:
    change = _body(schemas.VBANK_UPDATE)
    _authorize()
    return _success(update_vbank(_state(), change), 200)


@routes.get("/payments/status/<payment_status>")
def list_payments(payment_status: str) -> Response:
    query = require(schemas.PAYMENT_LIST_QUERY, _query(numbers=True), QUERY)
    _authorize()
    return _envelope(list_by_status(_state(), payment_status, query), 200)


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


@routes.post("/payments/cancel")
def cancel_payment() -> Response:
    refund = _body(schemas.CANCEL)
    _authorize()
    return _success(cancel(_state(), refund), 201)


@routes.post("/receipts/<imp_uid>")
def create_receipt(imp_uid: str) -> Response:
    details = _body(schemas.RECEIPT_CREATE)
    _authorize()
    return _success(issue_receipt(_state(), imp_uid, details), 201)


@routes.get("/receipts/<imp_uid>")
def get_receipt(imp_uid: str) -> Response:
    _authorize()
    return _success(find_receipt(_state(), imp_uid), 200)


@routes.delete("/receipts/<imp_uid>")
def delete_receipt(imp_uid: str) -> Response:
    _authorize()
    return _success(cancel_receipt(_state(), imp_uid), 200)


@routes.post("/certifications/otp/request")
def request_certification() -> Response:
    person = _body(schemas.CERTIFICATION_CREATE)
    _authorize()
    certification = request_otp(_state(), person)
    return _envelope({"imp_uid": certification.imp_uid}, 201)


@routes.get("/certifications/<imp_uid>")
def get_certification(imp_uid: str) -> Response:
    _authorize()
    return _success(find_certification(_state(), imp_uid), 200)


@routes.post("/certifications/otp/confirm/<imp_uid>")
def confirm_certification(imp_uid: str) -> Response:
    answer = _body(schemas.CERTIFICATION_CONFIRM)
    _authorize()
    return _success(confirm_otp(_state(), imp_uid, answer["otp"]), 201)


@routes.delete("/certifications/<imp_uid>")
def delete_certification(imp_uid: str) -> Response:
    _authorize()
    return _success(remove_certification(_state(), imp_uid), 200)


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

"""R4-R7: payment histories."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from ..payments import histories
from ..payments.inputs import NewCancel, NewHistory, Source
from ..transport import Blueprint
from .context import runtime
from .idempotency import ALREADY_REGISTERED, current_attempt, idempotent_write, resumed
from .passwords import THROTTLED, looked_up, password_checked
from .schemas import (
    AccessorSchema,
    CancelCreateSchema,
    HistoryCreateSchema,
    HistorySchema,
    PasswordSchema,
    require_uuid,
)

blp = Blueprint(
    "histories",
    __name__,
    url_prefix="/payments/histories",
    description="Payments: approve at the gateway, look up, cancel.",
)


@blp.route("")
class Histories(MethodView):
    @idempotent_write(
        blp,
        "POST /payments/histories",
        HistoryCreateSchema,
        201,
        HistorySchema,
        "The payment, approved and stored.",
    )
    @blp.alt_response(409, description=ALREADY_REGISTERED)
    @blp.alt_response(422, description="The gateway payment does not match the order.")
    def post(self, new: NewHistory) -> dict[str, Any]:
        """Register a payment that the gateway's popup returned (R6).

        The server approves it at the gateway for exactly `price` and the order `source.id`;
        a payment that does not match is refused, and cancelled if it was already paid.
        """
        return histories.create(runtime(), new, resume=resumed())


@blp.route("/get")
class HistoryBySource(MethodView):
    @looked_up(blp, AccessorSchema, HistorySchema, "payment")
    def patch(self, accessor: tuple[Source, str]) -> dict[str, Any]:
        """Look up a payment by its source and password (R4)."""
        source, password = accessor
        return histories.get_by_source(runtime(), source, password)


@blp.route("/cancel")
class HistoryCancel(MethodView):
    @idempotent_write(
        blp,
        "PUT /payments/histories/cancel",
        CancelCreateSchema,
        200,
        HistorySchema,
        "The payment after the refund.",
    )
    @blp.alt_response(422, description="More than the refundable remainder, or refused.")
    @blp.alt_response(429, description=THROTTLED)
    @password_checked
    def put(self, request: NewCancel) -> dict[str, Any]:
        """Refund all or part of a payment (R7)."""
        return histories.cancel(runtime(), request, current_attempt())


@blp.route("/<id>")
class HistoryById(MethodView):
    @looked_up(blp, PasswordSchema, HistorySchema, "payment")
    def patch(self, body: dict[str, str], id: str) -> dict[str, Any]:
        """Look up a payment by its id and password (R5)."""
        return histories.get_by_id(runtime(), require_uuid(id), body["password"])

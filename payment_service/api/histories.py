"""R4-R7: payment histories."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from ..payments import histories
from ..payments.inputs import NewCancel, NewHistory
from ..transport import Blueprint
from .context import runtime
from .idempotency import ALREADY_REGISTERED, current_attempt, idempotent_write, resumed
from .passwords import THROTTLED, look_up_routes, password_checked
from .schemas import (
    CancelCreateSchema,
    HistoryCreateSchema,
    HistorySchema,
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
    @blp.alt_response(429, description=THROTTLED)
    @password_checked  # taking over an abandoned claim checks the password it was made with
    def post(self, new: NewHistory) -> dict[str, Any]:
        """Register a payment that the gateway's popup returned (R6).

        The server approves it at the gateway for exactly `price` and the order `source.id`;
        a payment that does not match is refused, and cancelled if it was already paid.
        """
        return histories.create(runtime(), new, resume=resumed())


look_up_routes(
    blp,
    HistorySchema,
    "payment",
    "History",
    histories.get_by_source,
    histories.get_by_id,
    ("R4", "R5"),
)


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

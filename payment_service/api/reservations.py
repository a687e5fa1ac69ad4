"""R8-R10: payment reservations (saved cards and billing keys)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from ..payments import reservations
from ..payments.inputs import NewReservation
from ..transport import Blueprint
from .context import runtime
from .idempotency import ALREADY_REGISTERED, idempotent_write
from .passwords import look_up_routes
from .schemas import (
    ReservationCreateSchema,
    ReservationSchema,
)

blp = Blueprint(
    "reservations",
    __name__,
    url_prefix="/payments/reservations",
    description="Saved cards and billing keys for subscription payments.",
)


@blp.route("")
class Reservations(MethodView):
    @idempotent_write(
        blp, "POST /payments/reservations", ReservationCreateSchema, 201, ReservationSchema
    )
    @blp.alt_response(409, description=ALREADY_REGISTERED)
    def post(self, new: NewReservation) -> dict[str, Any]:
        """Register a card saved at the gateway (a customer or billing key) (R10)."""
        return reservations.create(runtime(), new)


look_up_routes(
    blp,
    ReservationSchema,
    "reservation",
    "Reservation",
    reservations.get_by_source,
    reservations.get_by_id,
    ("R8", "R9"),
)

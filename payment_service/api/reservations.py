"""R8-R10: payment reservations (saved cards and billing keys)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from ..payments import reservations
from ..payments.inputs import NewReservation, Source
from ..transport import Blueprint
from .context import runtime
from .idempotency import ALREADY_REGISTERED, idempotent_write
from .passwords import looked_up
from .schemas import (
    AccessorSchema,
    PasswordSchema,
    ReservationCreateSchema,
    ReservationSchema,
    require_uuid,
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


@blp.route("/get")
class ReservationBySource(MethodView):
    @looked_up(blp, AccessorSchema, ReservationSchema, "reservation")
    def patch(self, accessor: tuple[Source, str]) -> dict[str, Any]:
        """Look up a reservation by its source and password (R8)."""
        source, password = accessor
        return reservations.get_by_source(runtime(), source, password)


@blp.route("/<id>")
class ReservationById(MethodView):
    @looked_up(blp, PasswordSchema, ReservationSchema, "reservation")
    def patch(self, body: dict[str, str], id: str) -> dict[str, Any]:
        """Look up a reservation by its id and password (R9)."""
        return reservations.get_by_id(runtime(), require_uuid(id), body["password"])

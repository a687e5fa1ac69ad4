"""R8-R10: payment reservations (saved cards and billing keys)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from ..payments import charges, reservations, schedules
from ..payments.inputs import NewCharge, NewReservation, NewSchedule
from ..transport import Blueprint
from .context import runtime
from .idempotency import ALREADY_REGISTERED, idempotent_write, resumed
from .passwords import THROTTLED, look_up_routes, password_checked
from .schemas import (
    ChargeCreateSchema,
    HistorySchema,
    ReservationCreateSchema,
    ReservationSchema,
    ScheduleCreateSchema,
    ScheduleSchema,
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


look_up_routes(
    blp,
    ReservationSchema,
    "reservation",
    "Reservation",
    reservations.get_by_source,
    reservations.get_by_id,
    ("R8", "R9"),
)


@blp.route("/<id>/charges")
class ReservationCharges(MethodView):
    @idempotent_write(
        blp,
        "POST /payments/reservations/{id}/charges",
        ChargeCreateSchema,
        201,
        HistorySchema,
        "The payment the gateway made, stored (and reported to `webhook_url`).",
    )
    @blp.alt_response(403, description="Wrong password.")
    @blp.alt_response(404, description="No such reservation.")
    @blp.alt_response(409, description="The order (`source`) is already paid or being charged.")
    @blp.alt_response(
        422,
        description="The card company declined (`declined: true`, the gateway's `code` and "
        "message; nothing was charged), or the vendor's plugin cannot charge saved cards.",
    )
    @blp.alt_response(429, description=THROTTLED)
    @password_checked
    def post(self, new: NewCharge, id: str) -> dict[str, Any]:
        """Charge the saved card for an order, at the gateway, and store the payment.

        The server calls the gateway's billing API itself (docs/subscriptions.md lists each
        gateway's call); `source.id` is the order id sent to it. With an
        `Idempotency-Key`, a retry after a timeout settles the first attempt from the gateway
        and never charges twice. 502/503/504: the gateway failed, is down or timed out; retry
        with the same key.
        """
        return charges.charge(runtime(), require_uuid(id), new, resume=resumed())


@blp.route("/<id>/schedules")
class ReservationSchedules(MethodView):
    @idempotent_write(
        blp,
        "POST /payments/reservations/{id}/schedules",
        ScheduleCreateSchema,
        201,
        ScheduleSchema,
        "The schedule; its periods are charged by the housekeeper as they fall due.",
    )
    @blp.alt_response(403, description="Wrong password.")
    @blp.alt_response(404, description="No such reservation.")
    @blp.alt_response(429, description=THROTTLED)
    @password_checked
    def post(self, new: NewSchedule, id: str) -> dict[str, Any]:
        """Charge the saved card every month, week or day, with retries after a decline.

        Each period is charged once, from `first_at` on (month periods keep its day, on the
        last day of shorter months); a declined period is tried again after each of `retries`
        (default `["P1D", "P3D", "P7D"]`), and after the last the schedule is `past_due`.
        Every payment is stored and reported to `webhook_url` like a charge.
        """
        return schedules.create(runtime(), require_uuid(id), new)

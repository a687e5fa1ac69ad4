"""Schedules of saved-card charges: read and cancel (created under their reservation)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from ..payments import schedules
from ..transport import Blueprint
from .context import runtime
from .passwords import looked_up
from .schemas import PasswordSchema, ScheduleSchema, require_uuid

blp = Blueprint(
    "schedules",
    __name__,
    url_prefix="/payments/schedules",
    description="Recurring charges of saved cards: read and cancel.",
)


@blp.route("/<id>")
class ScheduleById(MethodView):
    @looked_up(blp, PasswordSchema, ScheduleSchema, "schedule")
    def patch(self, body: dict[str, str], id: str) -> dict[str, Any]:
        """Read a schedule and its periods, with the reservation's password."""
        return schedules.get(runtime(), require_uuid(id), body["password"])


@blp.route("/<id>/cancel")
class ScheduleCancel(MethodView):
    @looked_up(blp, PasswordSchema, ScheduleSchema, "schedule")
    def put(self, body: dict[str, str], id: str) -> dict[str, Any]:
        """Cancel a schedule: nothing more is charged (a charge already running completes).
        Cancelling again answers the cancelled schedule."""
        return schedules.cancel(runtime(), require_uuid(id), body["password"])

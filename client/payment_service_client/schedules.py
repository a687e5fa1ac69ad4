"""Schedules: a saved card charged every month, week or day (docs/subscriptions.md)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal
from uuid import UUID

from . import routes
from .connection import Connection
from .models import Amount, Schedule


class Schedules:
    """``client.schedules``: create, read and cancel schedules of saved-card charges."""

    def __init__(self, connection: Connection):
        self._connection = connection

    def create(
        self,
        reservation_id: str | UUID,
        *,
        password: str,
        price: Amount,
        title: str,
        every: Literal["month", "week", "day"],
        first_at: datetime,
        webhook_url: str,
        retries: Sequence[str] | None = None,
        idempotency_key: str | None = None,
    ) -> Schedule:
        """Charge the reservation's saved card `price` every `every` from `first_at` (an
        aware datetime); `retries`: ISO-8601 durations after a period's due time at which a
        declined period is tried again (the server's default: ``["P1D", "P3D", "P7D"]``).

        ``POST /payments/reservations/{id}/schedules``, sent with an ``Idempotency-Key``
        (`idempotency_key`, or a fresh one) and retried with it like `Histories.create`, so
        it never creates two schedules.
        """
        return self._connection.run(
            routes.create_schedule(
                reservation_id,
                password,
                price,
                title,
                every,
                first_at,
                webhook_url,
                retries,
                idempotency_key,
            )
        )

    def get(self, id: str | UUID, *, password: str) -> Schedule:
        """The schedule and its periods (``PATCH /payments/schedules/{id}``)."""
        call = routes.by_id(routes.SCHEDULES, Schedule.from_dict, id, password)
        return self._connection.run(call)

    def cancel(self, id: str | UUID, *, password: str) -> Schedule:
        """Stop the schedule (``PUT /payments/schedules/{id}/cancel``); safe to repeat."""
        return self._connection.run(routes.cancel_schedule(id, password))

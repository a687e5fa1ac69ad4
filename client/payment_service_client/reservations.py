"""Payment reservations: saved cards and billing keys (R8-R10)."""

from __future__ import annotations

from uuid import UUID

from . import routes
from .connection import Connection
from .models import PaymentReservation, SourceInput, VendorInput


class Reservations:
    """``client.reservations``: the reservation (saved card / billing key) routes."""

    def __init__(self, connection: Connection):
        self._connection = connection
        self._prefix = routes.RESERVATIONS

    def create(
        self,
        *,
        vendor: VendorInput,
        source: SourceInput,
        title: str,
        password: str,
        idempotency_key: str | None = None,
    ) -> PaymentReservation:
        """Register a card saved at the gateway (R10, ``POST /payments/reservations``).

        iamport: ``vendor.uid`` is the ``customer_uid`` the card was saved under (use your own
        id for both it and ``source.id``). Toss: ``vendor.uid`` is the billing key and
        ``source.id`` must be the ``customerKey`` it was issued for.

        Raises `Conflict` when `source` or the gateway uid is already registered. Sent with an
        ``Idempotency-Key`` and retried safely, like `Histories.create`.
        """
        return self._connection.run(
            routes.create_reservation(vendor, source, title, password, idempotency_key)
        )

    def get(self, *, source: SourceInput, password: str) -> PaymentReservation:
        """Read the reservation of `source` (R8, ``PATCH /payments/reservations/get``).

        Raises `NotFound` when there is none and `Forbidden` when `password` is wrong.
        """
        call = routes.by_source(routes.RESERVATIONS, PaymentReservation.from_dict, source, password)
        return self._connection.run(call)

    def at(self, id: str | UUID, *, password: str) -> PaymentReservation:
        """Read a reservation by its id (R9, ``PATCH /payments/reservations/{id}``)."""
        call = routes.by_id(routes.RESERVATIONS, PaymentReservation.from_dict, id, password)
        return self._connection.run(call)

"""Payment reservations: saved cards and billing keys (R8-R10)."""

from __future__ import annotations

from uuid import UUID

from .connection import Connection
from .models import PaymentReservation, SourceInput, VendorInput
from .records import RecordRoutes


class Reservations(RecordRoutes[PaymentReservation]):
    """``client.reservations``: the reservation (saved card / billing key) routes."""

    def __init__(self, connection: Connection):
        super().__init__(connection, "/payments/reservations", PaymentReservation.from_dict)

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
        return self._register(vendor, source, idempotency_key, title=title, password=password)

    def get(self, *, source: SourceInput, password: str) -> PaymentReservation:
        """Read the reservation of `source` (R8, ``PATCH /payments/reservations/get``).

        Raises `NotFound` when there is none and `Forbidden` when `password` is wrong.
        """
        return self._by_source(source, password)

    def at(self, id: str | UUID, *, password: str) -> PaymentReservation:
        """Read a reservation by its id (R9, ``PATCH /payments/reservations/{id}``)."""
        return self._by_id(id, password)

"""Payment reservations: saved cards and billing keys (R8-R10)."""

from __future__ import annotations

from uuid import UUID

from . import routes
from .connection import Connection
from .models import Amount, PaymentHistory, PaymentReservation, SourceInput, VendorInput


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

    def charge(
        self,
        id: str | UUID,
        *,
        password: str,
        source: SourceInput,
        price: Amount,
        title: str,
        webhook_url: str,
        idempotency_key: str | None = None,
    ) -> PaymentHistory:
        """Charge the saved card of reservation `id` for the order `source`
        (``POST /payments/reservations/{id}/charges``); returns the payment, stored like a
        registered one and posted to `webhook_url`.

        The server calls the gateway's billing API itself; ``source.id`` is the order id sent
        to it and `title` the order's name there. `password` is the reservation's, and opens
        the new payment too.

        Raises `Forbidden` (wrong password), `NotFound`, `Conflict` (the order is already
        paid or being charged) and `Unprocessable` when the card company declines (its body
        has ``declined: true`` and the gateway's ``code``; nothing was charged) or the vendor
        cannot charge saved cards. Sent with an ``Idempotency-Key`` and retried with it, so a
        retry after a timeout never charges twice: after a final `TransportError` or
        `ServerError`, call it again with the same `idempotency_key`.
        """
        return self._connection.run(
            routes.charge_reservation(
                id, password, source, price, title, webhook_url, idempotency_key
            )
        )

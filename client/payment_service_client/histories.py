"""Payment histories: register a payment, read it, refund it (R4-R7)."""

from __future__ import annotations

from uuid import UUID

from . import routes
from .connection import Connection
from .models import AccountInput, Amount, PaymentHistory, SourceInput, VendorInput


class Histories:
    """``client.histories``: the payment-history routes."""

    def __init__(self, connection: Connection):
        self._connection = connection
        self._prefix = routes.HISTORIES

    def create(
        self,
        *,
        vendor: VendorInput,
        source: SourceInput,
        price: Amount,
        password: str,
        webhook_url: str,
        idempotency_key: str | None = None,
    ) -> PaymentHistory:
        """Register a payment the customer made at the gateway (R6, ``POST /payments/histories``).

        The server first confirms the payment with the gateway: iamport's paid amount must
        equal `price` (else `Unprocessable`, and the server refunds it), Toss approves it with
        ``orderId = source.id`` and ``amount = price``. Afterwards every change of the payment
        is posted to `webhook_url` (see `decode_webhook`). `password` protects the record: it
        is needed to read or cancel it.

        Raises `Conflict` when `source` or the gateway uid is already registered.

        The call is sent with an ``Idempotency-Key`` (`idempotency_key`, or a fresh one) and
        retried with it on network errors and gateway failures (see `PaymentClient`), so it
        never registers twice. If it still fails with a `TransportError` or `ServerError`,
        call it again with the same `idempotency_key` to finish the job safely.
        """
        return self._connection.run(
            routes.create_history(vendor, source, price, password, webhook_url, idempotency_key)
        )

    def get(self, *, source: SourceInput, password: str) -> PaymentHistory:
        """Read the payment of `source` (R4, ``PATCH /payments/histories/get``).

        Raises `NotFound` when there is none and `Forbidden` when `password` is wrong.
        """
        call = routes.by_source(routes.HISTORIES, PaymentHistory.from_dict, source, password)
        return self._connection.run(call)

    def at(self, id: str | UUID, *, password: str) -> PaymentHistory:
        """Read a payment by its id (R5, ``PATCH /payments/histories/{id}``).

        Raises `NotFound`, `Forbidden`, or `BadRequest` when `id` is not a UUID.
        """
        call = routes.by_id(routes.HISTORIES, PaymentHistory.from_dict, id, password)
        return self._connection.run(call)

    def cancel(
        self,
        *,
        source: SourceInput,
        password: str,
        price: Amount,
        reason: str,
        account: AccountInput | None = None,
        idempotency_key: str | None = None,
    ) -> PaymentHistory:
        """Refund `price` of the payment of `source` (R7, ``PUT /payments/histories/cancel``).

        Call it several times for successive partial refunds. `account` is the refund bank
        account, required by the gateways for virtual-account payments; leave it None for
        card payments. Returns the history after the refund (``refund``, ``cancels`` and
        ``cancelled_at`` updated).

        Raises `NotFound`, `Forbidden`, and `Unprocessable` (or the gateway's own status) when
        the gateway refuses, e.g. a refund larger than what remains.

        Like `create`, the call carries an ``Idempotency-Key`` and is retried safely: a refund
        is never made twice. After a final `TransportError` or `ServerError`, call it again
        with the same `idempotency_key` (a new key would mean a new refund).
        """
        return self._connection.run(
            routes.cancel_history(source, password, price, reason, account, idempotency_key)
        )

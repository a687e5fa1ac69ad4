"""The small interface the core calls on a vendor. The core never names a vendor: it looks one
up by code and speaks only these verbs and data types."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar


@dataclass(frozen=True)
class RefundAccount:
    """Where a virtual-account payment is refunded to (never stored by the server)."""

    bank: str
    account: str
    holder: str
    mobile: str


@dataclass(frozen=True)
class CancelRecord:
    """One refund as the gateway lists it, in the gateway's own order."""

    amount: Decimal
    reason: str
    cancelled_at: datetime
    data: dict[str, Any]


@dataclass(frozen=True)
class PaymentSummary:
    """The common history fields of a gateway payment (spec §4.3).

    `refund` and `cancelled_at` are not here: the core derives them from `cancels` (their sum,
    and the time of the first), the same way for every vendor.
    """

    currency: str
    price: Decimal
    paid_at: datetime | None
    cancels: tuple[CancelRecord, ...]


@dataclass(frozen=True)
class WebhookNotice:
    """What an inbound gateway webhook is about: the payment's uid, or None to ignore it."""

    uid: str | None
    reason: str = ""


class Vendor(ABC):
    """A payment gateway. Every call names the store, whose credentials it must use.

    Errors are raised as `vendors.errors` types; a call that returns succeeded at the gateway.
    """

    code: ClassVar[str]
    """The vendor code on the wire (`vendor.code`), e.g. "iamport"."""

    webhook_name: ClassVar[str]
    """Path segment of the inbound webhook route: POST /payments/webhooks/<webhook_name>."""

    webhook_schema: ClassVar[dict[str, Any] | None] = None
    """JSON Schema of the gateway's webhook body, shown in the OpenAPI document (optional)."""

    @property
    def version(self) -> str:
        """Version of the distribution that provides this vendor, for /monitors/plugins."""
        return "unknown"

    @abstractmethod
    def fetch_payment(self, store_id: str, uid: str) -> dict[str, Any]:
        """Return the gateway's current record of payment `uid`."""

    @abstractmethod
    def approve(self, store_id: str, uid: str, *, order_id: str, amount: Decimal) -> dict[str, Any]:
        """Confirm payment `uid` for order `order_id` and exactly `amount`; return its record.

        Must refuse (raise `PaymentMismatch`) a payment whose amount or order differs, and
        cancel it at the gateway when it was already paid. Approving a payment that is already
        approved with matching order and amount returns it (retries are safe).
        """

    @abstractmethod
    def cancel(
        self,
        store_id: str,
        uid: str,
        *,
        order_id: str,
        amount: Decimal,
        reason: str,
        account: RefundAccount | None,
    ) -> dict[str, Any]:
        """Refund `amount` of payment `uid` (partially or fully); return the updated record."""

    @abstractmethod
    def summarize(self, payment: dict[str, Any]) -> PaymentSummary:
        """Map a gateway payment record to the common history fields."""

    @abstractmethod
    def fetch_reservation(self, store_id: str, uid: str, *, customer_id: str) -> dict[str, Any]:
        """Return the saved card / billing key `uid` registered for `customer_id`."""

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> None:
        """Refuse an inbound webhook that cannot be proven to come from the gateway.

        Called with the request's headers and raw body before anything else is done with it;
        raise `WebhookUnauthorized` (401) to refuse. The default accepts every request: for
        gateways that do not sign their webhooks, the re-fetch is the only protection.
        """
        return None

    @abstractmethod
    def read_webhook(self, body: Any) -> WebhookNotice:
        """Say which payment an inbound webhook concerns, or that it changes nothing.

        Raise `InvalidWebhook` for a malformed body. The body is never trusted beyond this: the
        core re-fetches the payment from the gateway.
        """

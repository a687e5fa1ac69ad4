"""The small interface the core calls on a vendor. The core never names a vendor: it looks one
up by code and speaks only these verbs and data types."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from importlib import resources
from importlib.metadata import PackageNotFoundError, version
from typing import Any, ClassVar

from .errors import ListingUnsupported


@dataclass(frozen=True)
class RefundAccount:
    """Where a virtual-account payment is refunded to (never stored by the server)."""

    bank: str
    account: str
    holder: str
    mobile: str


@dataclass(frozen=True)
class Refund:
    """What `Vendor.cancel` refunds: `amount` (part or all) of the payment made for order
    `order_id`, for `reason`; `account` is given for virtual-account payments, else None."""

    order_id: str
    amount: Decimal
    reason: str
    account: RefundAccount | None = None


@dataclass(frozen=True)
class BillingCharge:
    """What the `charge_billing_key` hook charges: `amount` on the saved card or billing key
    `billing_key` (a reservation's `vendor.uid`) of the customer `customer_id` (the
    reservation's `source.id`), for the order `order_id` (the charge's `source.id`, to be sent
    as the gateway's own order or payment id, by which it can be looked up), named `title`.

    `resume`: an earlier call for this same `order_id` ended with an unknown outcome (a
    timeout, a crash), so it may have charged; the plugin must then look the order up first
    and return that payment if it was paid, never charge a second time.
    """

    billing_key: str
    customer_id: str
    order_id: str
    amount: Decimal
    title: str
    resume: bool = False


@dataclass(frozen=True)
class ChargedPayment:
    """What `charge_billing_key` returns: the paid payment's uid at the gateway (what a history's
    `vendor.uid` names) and its record, as `fetch_payment` returns it."""

    uid: str
    payment: dict[str, Any]


@dataclass(frozen=True)
class CancelRecord:
    """One refund as the gateway lists it, in the gateway's own order."""

    amount: Decimal
    reason: str
    cancelled_at: datetime
    data: dict[str, Any]


@dataclass(frozen=True)
class PaymentSummary:
    """The common history fields of a gateway payment (docs/payment-api.md §4.3).

    `refund` and `cancelled_at` are not here: the core derives them from `cancels` (their sum,
    and the time of the first), the same way for every vendor.
    """

    currency: str
    price: Decimal
    paid_at: datetime | None
    cancels: tuple[CancelRecord, ...]
    status: str | None = None
    """The gateway's own word for the payment's state (e.g. "paid", "DONE"), compared by
    reconciliation; None when the vendor does not say."""
    due_at: datetime | None = None
    """While the gateway still awaits the payment (a virtual account waiting for its deposit),
    its deadline; None once it is paid, cancelled or expired. The janitor re-checks awaited
    payments past it (docs/janitor.md)."""


@dataclass(frozen=True)
class ListedPayment:
    """One payment of a gateway's list (see `Vendor.list_payments`)."""

    uid: str
    """The payment's uid, as `vendor.uid` names it in a history."""
    order_id: str
    """The order the gateway holds it for (what `cancel` needs as `order_id`)."""
    payment: dict[str, Any]
    """The gateway's full record of it, as `fetch_payment` returns it."""
    progress: float | None = None
    """How far through the window the listing is (0 to 1), for progress bars; None if unknown."""


@dataclass(frozen=True)
class WebhookNotice:
    """What an inbound gateway webhook is about: the payment's uid, or None to ignore it."""

    uid: str | None
    reason: str = ""


@dataclass(frozen=True)
class SignedDelivery:
    """A signed inbound webhook's identity (Standard Webhooks `webhook-id`): the core answers a
    second delivery of the same id before `expires_at` (when its signature would be refused as
    too old anyway) without doing anything."""

    id: str
    expires_at: datetime


class Vendor(ABC):
    """A payment gateway. Every call names the store, whose credentials it must use.

    Errors are raised as `vendors.errors` types; a call that returns succeeded at the gateway.
    """

    code: ClassVar[str]
    """The vendor code on the wire (`vendor.code`), unique among plugins."""

    webhook_name: ClassVar[str]
    """Path segment of the inbound webhook route: POST /payments/webhooks/<webhook_name>."""

    webhook_schema: ClassVar[dict[str, Any] | None] = None
    """JSON Schema of the gateway's webhook body, shown in the OpenAPI document (optional;
    `packaged_json` reads one shipped as a file beside the plugin's code)."""

    webhook_retry_window: ClassVar[timedelta] = timedelta(days=1)
    """How long the gateway keeps retrying a webhook we did not acknowledge. A payment still
    awaited (see `PaymentSummary.due_at`) that was not fetched for longer than this may have
    missed its webhook for good: the janitor asks the gateway (docs/janitor.md)."""

    distribution: ClassVar[str | None] = None
    """The distribution that provides this vendor (e.g. "payment-vendor-acme"), whose
    installed version `version` reports."""

    @property
    def version(self) -> str:
        """Version of the distribution that provides this vendor, for /monitors/plugins."""
        if self.distribution is None:
            return "unknown"
        try:
            return version(self.distribution)
        except PackageNotFoundError:
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
    def cancel(self, store_id: str, uid: str, refund: Refund) -> dict[str, Any]:
        """Refund `refund.amount` of payment `uid` (partially or fully); return the updated
        record."""

    @abstractmethod
    def summarize(self, payment: dict[str, Any]) -> PaymentSummary:
        """Map a gateway payment record to the common history fields."""

    @abstractmethod
    def fetch_reservation(self, store_id: str, uid: str, *, customer_id: str) -> dict[str, Any]:
        """Return the saved card / billing key `uid` registered for `customer_id`."""

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> SignedDelivery | None:
        """Refuse an inbound webhook that cannot be proven to come from the gateway.

        Called with the request's headers and raw body before anything else is done with it;
        raise `WebhookUnauthorized` (401) to refuse. A gateway that signs each delivery with a
        unique id returns it (`SignedDelivery`), so that a replay inside the signature's
        tolerance is answered without a re-fetch. The default accepts every request: for
        gateways that do not sign their webhooks, the re-fetch (coalesced per payment, and
        within the vendor's inbound budget) is the only protection.
        """
        return None

    def list_payments(
        self, store_id: str, since: datetime, until: datetime
    ) -> Iterator[ListedPayment]:
        """Optional: yield every payment the gateway lists in [since, until), each once, paging
        through the gateway's own list API (`payment-service reconcile` uses it).

        `store_id` is "" when the operator named no store: list with the default credentials.
        Which time of a payment the window applies to is the gateway's choice (its request,
        payment or last change); reconciliation looks up records outside it one by one.
        Vendors that cannot list keep this default, and are reported as not supporting
        reconciliation.
        """
        raise ListingUnsupported(self.code)

    @property
    def can_list(self) -> bool:
        """Whether this vendor implements `list_payments`."""
        return type(self).list_payments is not Vendor.list_payments

    @abstractmethod
    def read_webhook(self, body: Any) -> WebhookNotice:
        """Say which payment an inbound webhook concerns, or that it changes nothing.

        Raise `InvalidWebhook` for a malformed body. The body is never trusted beyond this: the
        core re-fetches the payment from the gateway.
        """


def packaged_json(package: str | None, name: str) -> dict[str, Any]:
    """The JSON file `name` shipped inside `package` (a plugin's `__package__`)."""
    if package is None:
        raise ValueError("packaged_json needs the package the file is shipped in")
    return json.loads(resources.files(package).joinpath(name).read_text(encoding="utf-8"))

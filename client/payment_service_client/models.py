"""Typed results (frozen dataclasses) and the input structures of the payment API.

Every result keeps the decrypted JSON object it was parsed from in ``raw``, so keys this SDK
does not model (or that a newer server adds) are never lost. Parsing follows
docs/payment-api.md §2.4 but is deliberately tolerant, so that the same SDK reads the original
TypeScript server and this one: unknown keys are ignored, missing optional keys become None,
and the original's extra keys (``time`` in cancels, ``source`` inside a webhook's
previous/current) are optional.

Conventions of the parsed values:

* money (``price``, ``refund``, cancel ``price``) is `decimal.Decimal`, never float;
* timestamps are timezone-aware `datetime` objects in UTC;
* gateway records (``data``) are the gateway's JSON as a plain dict; the ``iamport``,
  ``toss`` and ``portone`` properties return the same dict typed as the matching TypedDict
  (or None when the record belongs to another vendor), and ``view(VIEW)`` does the same for
  any vendor whose `VendorView` you have (a plugin's, say). Fractional numbers inside are
  Decimal too.

Vendor codes are open strings: a server with more vendor plugins answers codes this SDK does
not list, and the SDK reads them like any other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Generic, Literal, TypedDict, TypeVar, cast

VendorCode = str
"""A vendor code: open, since every installed vendor plugin brings its own (``GET
/monitors/plugins`` lists a server's). The shipped plugins' codes are the constants below."""

IAMPORT: VendorCode = "iamport"
TOSS: VendorCode = "toss.payments"
PORTONE: VendorCode = "portone"

Amount = int | Decimal
"""An amount of money as the SDK accepts it. Floats are refused: they cannot hold most
decimal fractions exactly."""


# --------------------------------------------------------------------------------------------
# Gateway records (``data``): the fields the server itself relies on, plus common extras.
# All are total=False: a gateway may omit keys, and the dict holds every key it sent anyway.


class IamportPaymentCancel(TypedDict, total=False):
    """One entry of an iamport payment's ``cancel_history``."""

    pg_id: str
    pg_tid: str
    amount: int | Decimal
    cancelled_at: int | Decimal  # Unix seconds, may be fractional
    reason: str
    receipt_url: str


class IamportPayment(TypedDict, total=False):
    """iamport's payment record (``IIamportPayment``); card and vbank fields included."""

    imp_uid: str
    merchant_uid: str
    pay_method: str
    name: str | None
    amount: int | Decimal
    cancel_amount: int | Decimal
    currency: str
    status: Literal["paid", "ready", "failed", "cancelled"]
    receipt_url: str
    pg_provider: str
    pg_id: str
    pg_tid: str
    buyer_name: str | None
    buyer_email: str | None
    customer_uid: str | None
    started_at: int
    paid_at: int  # Unix seconds, 0 = unpaid
    failed_at: int
    cancelled_at: int
    fail_reason: str | None
    cancel_reason: str | None
    cancel_history: list[IamportPaymentCancel]
    card_code: str
    card_name: str
    card_number: str
    card_quota: int
    apply_num: str
    vbank_code: str
    vbank_name: str
    vbank_num: str
    vbank_holder: str
    vbank_date: int
    vbank_issued_at: int


class IamportSubscription(TypedDict, total=False):
    """iamport's saved billing card (``IIamportSubscription``), the data of a reservation."""

    customer_uid: str
    pg_provider: str
    pg_id: str
    card_name: str
    card_code: str
    card_number: str
    card_type: str
    customer_name: str | None
    customer_tel: str | None
    customer_email: str | None
    customer_addr: str | None
    customer_postcode: str | None
    inserted: int
    updated: int


class TossPaymentCancel(TypedDict, total=False):
    """One entry of a Toss payment's ``cancels``."""

    cancelAmount: int | Decimal
    cancelReason: str
    taxFreeAmount: int | Decimal
    taxAmount: int | Decimal
    refundableAmount: int | Decimal
    canceledAt: str


class TossPayment(TypedDict, total=False):
    """Toss Payments' payment record (``ITossPayment``); ``card``/``virtualAccount`` as dicts."""

    paymentKey: str
    orderId: str
    orderName: str
    method: str
    type: str
    mId: str
    version: str
    transactionKey: str
    currency: str
    totalAmount: int | Decimal
    balanceAmount: int | Decimal
    suppliedAmount: int | Decimal
    taxFreeAmount: int | Decimal
    vat: int | Decimal
    status: Literal[
        "READY",
        "IN_PROGRESS",
        "WAITING_FOR_DEPOSIT",
        "DONE",
        "CANCELED",
        "PARTIAL_CANCELED",
        "ABORTED",
        "EXPIRED",
    ]
    requestedAt: str
    approvedAt: str | None
    cancels: list[TossPaymentCancel] | None
    card: dict[str, Any] | None
    virtualAccount: dict[str, Any] | None
    cashReceipt: dict[str, Any] | None


class TossBilling(TypedDict, total=False):
    """Toss Payments' billing-key record (``ITossBilling``), the data of a reservation."""

    mId: str
    billingKey: str
    customerKey: str
    method: str
    cardCompany: str
    cardNumber: str
    authenticatedAt: str


class PortOnePaymentAmount(TypedDict, total=False):
    """A PortOne V2 payment's amounts (``PaymentAmount``), in the currency's minor unit."""

    total: int
    taxFree: int
    vat: int
    supply: int
    discount: int
    paid: int
    cancelled: int
    cancelledTaxFree: int


class PortOnePaymentCancellation(TypedDict, total=False):
    """One entry of a PortOne V2 payment's ``cancellations`` (``PaymentCancellation``)."""

    status: Literal["REQUESTED", "FAILED", "SUCCEEDED"]
    id: str
    pgCancellationId: str
    totalAmount: int
    taxFreeAmount: int
    vatAmount: int
    reason: str
    cancelledAt: str
    requestedAt: str
    trigger: str


class PortOnePayment(TypedDict, total=False):
    """PortOne V2's payment record (``Payment`` of its REST API), the data of a history;
    ``method``, ``channel`` and ``customer`` as dicts."""

    status: Literal[
        "READY",
        "PENDING",
        "VIRTUAL_ACCOUNT_ISSUED",
        "PAID",
        "FAILED",
        "PARTIAL_CANCELLED",
        "CANCELLED",
    ]
    id: str
    transactionId: str
    merchantId: str
    storeId: str
    method: dict[str, Any]
    channel: dict[str, Any]
    version: str
    requestedAt: str
    updatedAt: str
    statusChangedAt: str
    paidAt: str
    cancelledAt: str
    orderName: str
    amount: PortOnePaymentAmount
    currency: str
    customer: dict[str, Any]
    customData: str
    pgTxId: str
    receiptUrl: str
    cancellations: list[PortOnePaymentCancellation]


class PortOneBillingKey(TypedDict, total=False):
    """PortOne V2's billing-key record (``BillingKeyInfo``), the data of a reservation."""

    status: Literal["ISSUED", "DELETED"]
    billingKey: str
    merchantId: str
    storeId: str
    methods: list[dict[str, Any]]
    channels: list[dict[str, Any]]
    customer: dict[str, Any]
    customData: str
    requestedAt: str
    issuedAt: str
    deletedAt: str


# --------------------------------------------------------------------------------------------
# Typed views of ``data`` per vendor.

PaymentData = TypeVar("PaymentData")
ReservationData = TypeVar("ReservationData")


@dataclass(frozen=True)
class VendorView(Generic[PaymentData, ReservationData]):
    """How one vendor's records look: the TypedDict of a history's ``data`` (`payment`) and
    of a reservation's (`reservation`).

    The SDK has the views of the shipped vendors (`IAMPORT_VIEW`, `TOSS_VIEW`,
    `PORTONE_VIEW`). A vendor plugin's distribution contributes its own by publishing, in a
    module that imports nothing but this SDK, its TypedDicts and one
    ``VendorView[TheirPayment, TheirBilling]("their-code", TheirPayment, TheirBilling)``;
    integrators then read ``history.view(THEIR_VIEW)`` (their record, typed, or None for
    another vendor's history).
    """

    code: str
    payment: type[PaymentData]
    reservation: type[ReservationData]

    def of_payment(self, record: _VendorData) -> PaymentData | None:
        """`record`'s ``data`` as this vendor's payment, or None for another vendor's."""
        return cast(PaymentData, record.data) if record.vendor_code == self.code else None

    def of_reservation(self, record: _VendorData) -> ReservationData | None:
        """`record`'s ``data`` as this vendor's reservation, or None for another vendor's."""
        return cast(ReservationData, record.data) if record.vendor_code == self.code else None


IAMPORT_VIEW = VendorView(IAMPORT, IamportPayment, IamportSubscription)
TOSS_VIEW = VendorView(TOSS, TossPayment, TossBilling)
PORTONE_VIEW = VendorView(PORTONE, PortOnePayment, PortOneBillingKey)


# --------------------------------------------------------------------------------------------
# Structures used both as inputs and inside results.


@dataclass(frozen=True)
class PaymentVendor:
    """Which gateway, which store (merchant) at it, and the gateway's id of the payment.

    ``uid`` is iamport's ``imp_uid`` (payments) or ``customer_uid`` (reservations), Toss's
    ``paymentKey`` (payments) or billing key (reservations).
    """

    code: str
    uid: str
    store_id: str

    def to_dict(self) -> dict[str, str]:
        # Declaration order of IPaymentVendor (what the original SDK sends).
        return {"code": self.code, "store_id": self.store_id, "uid": self.uid}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> PaymentVendor:
        return cls(code=_str(raw, "code"), uid=_str(raw, "uid"), store_id=_str(raw, "store_id", ""))


@dataclass(frozen=True)
class PaymentSource:
    """The service's own record a payment belongs to: DB schema, table and the row's UUID."""

    schema: str
    table: str
    id: str

    def to_dict(self) -> dict[str, str]:
        return {"schema": self.schema, "table": self.table, "id": self.id}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> PaymentSource:
        return cls(schema=_str(raw, "schema"), table=_str(raw, "table"), id=_str(raw, "id"))


@dataclass(frozen=True)
class BankAccount:
    """Refund account for cancelling a virtual-account (vbank) payment."""

    bank: str
    account: str
    holder: str
    mobile: str

    def to_dict(self) -> dict[str, str]:
        return {
            "bank": self.bank,
            "account": self.account,
            "holder": self.holder,
            "mobile": self.mobile,
        }


VendorInput = PaymentVendor | Mapping[str, Any]
SourceInput = PaymentSource | Mapping[str, Any]
AccountInput = BankAccount | Mapping[str, Any]


# --------------------------------------------------------------------------------------------
# Results.


@dataclass(frozen=True)
class PaymentCancel:
    """One (partial) refund of a payment, as synchronized from the gateway.

    ``time`` is the original server's undeclared extra key (same instant as ``created_at``);
    None when the server does not send it.
    """

    price: Decimal
    reason: str
    created_at: datetime
    time: datetime | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> PaymentCancel:
        return cls(
            price=_money(raw, "price"),
            reason=_str(raw, "reason", ""),
            created_at=_time(raw, "created_at"),
            time=_opt_time(raw, "time"),
            raw=dict(raw),
        )


class _VendorData:
    """A history or a reservation: which vendor, and the gateway's record."""

    vendor_code: str
    data: dict[str, Any]


@dataclass(frozen=True)
class PaymentHistory(_VendorData):
    """A payment as the server records it (``IPaymentHistory``, docs/payment-api.md §2.4).

    ``refund`` is the cumulative refunded amount, None when nothing was refunded.
    ``cancelled_at`` is set once any refund happened (and, on the original server, rewritten
    at every synchronization). ``data`` is the gateway's full payment record.
    """

    id: str
    vendor_code: str
    vendor: PaymentVendor
    source: PaymentSource
    cancels: tuple[PaymentCancel, ...]
    currency: str
    price: Decimal
    refund: Decimal | None
    data: dict[str, Any]
    webhook_url: str | None
    created_at: datetime
    paid_at: datetime | None
    cancelled_at: datetime | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_dict(
        cls, raw: Mapping[str, Any], *, source: PaymentSource | None = None
    ) -> PaymentHistory:
        """Parse one ``IPaymentHistory`` object.

        `source` is used when the object has no ``source`` key (the declared type of a
        webhook's previous/current omits it, even though the original server sends it).
        """
        return cls(
            **_record_head(raw),
            source=_source(raw, source),
            cancels=tuple(PaymentCancel.from_dict(item) for item in _list(raw, "cancels")),
            currency=_str(raw, "currency"),
            price=_money(raw, "price"),
            refund=_opt_money(raw, "refund"),
            data=_dict(raw, "data", {}),
            webhook_url=_opt_str(raw, "webhook_url"),
            created_at=_time(raw, "created_at"),
            paid_at=_opt_time(raw, "paid_at"),
            cancelled_at=_opt_time(raw, "cancelled_at"),
            raw=dict(raw),
        )

    def view(self, view: VendorView[PaymentData, Any]) -> PaymentData | None:
        """``data`` typed as `view`'s vendor's payment record, or None for another vendor."""
        return view.of_payment(self)

    @property
    def iamport(self) -> IamportPayment | None:
        """``data`` typed as iamport's payment, or None for another vendor."""
        return IAMPORT_VIEW.of_payment(self)

    @property
    def toss(self) -> TossPayment | None:
        """``data`` typed as Toss Payments' payment, or None for another vendor."""
        return TOSS_VIEW.of_payment(self)

    @property
    def portone(self) -> PortOnePayment | None:
        """``data`` typed as PortOne V2's payment, or None for another vendor."""
        return PORTONE_VIEW.of_payment(self)


@dataclass(frozen=True)
class PaymentReservation(_VendorData):
    """A saved card / billing key (``IPaymentReservation``, docs/payment-api.md §2.4)."""

    id: str
    vendor_code: str
    vendor: PaymentVendor
    source: PaymentSource
    title: str
    data: dict[str, Any]
    created_at: datetime
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> PaymentReservation:
        return cls(
            **_record_head(raw),
            source=PaymentSource.from_dict(_dict(raw, "source")),
            title=_str(raw, "title", ""),
            data=_dict(raw, "data", {}),
            created_at=_time(raw, "created_at"),
            raw=dict(raw),
        )

    def view(self, view: VendorView[Any, ReservationData]) -> ReservationData | None:
        """``data`` typed as `view`'s vendor's reservation record, or None for another vendor."""
        return view.of_reservation(self)

    @property
    def iamport(self) -> IamportSubscription | None:
        """``data`` typed as iamport's saved card, or None for another vendor."""
        return IAMPORT_VIEW.of_reservation(self)

    @property
    def toss(self) -> TossBilling | None:
        """``data`` typed as Toss Payments' billing key, or None for another vendor."""
        return TOSS_VIEW.of_reservation(self)

    @property
    def portone(self) -> PortOneBillingKey | None:
        """``data`` typed as PortOne V2's billing key, or None for another vendor."""
        return PORTONE_VIEW.of_reservation(self)


@dataclass(frozen=True)
class PaymentWebhook:
    """A change notification sent to a history's ``webhook_url`` (docs/payment-api.md §4.8).

    ``id`` identifies the event: deliveries may repeat, so de-duplicate on it.
    ``previous`` and ``current`` are the history before and after the change.
    """

    id: str
    source: PaymentSource
    previous: PaymentHistory
    current: PaymentHistory
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> PaymentWebhook:
        source = PaymentSource.from_dict(_dict(raw, "source"))
        return cls(
            id=_str(raw, "id"),
            source=source,
            previous=PaymentHistory.from_dict(_dict(raw, "previous"), source=source),
            current=PaymentHistory.from_dict(_dict(raw, "current"), source=source),
            raw=dict(raw),
        )


# --------------------------------------------------------------------------------------------
# Schedules: a saved card charged every month, week or day (docs/subscriptions.md).

ScheduleStatus = Literal["active", "past_due", "cancelled"]
PeriodStatus = Literal["pending", "paid", "retrying", "failed", "cancelled"]


@dataclass(frozen=True)
class SchedulePeriod:
    """One period: `paid` (with its payment's `history_id`), `retrying` (declined, tried again
    at `next_attempt_at`), `failed` (declined after the last retry), `pending` (due, being
    charged) or `cancelled`. `error` is the last decline's `{code, message}`."""

    id: str
    sequence: int
    due_at: datetime
    status: PeriodStatus
    attempts: int
    next_attempt_at: datetime | None
    history_id: str | None
    error: dict[str, Any] | None

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> SchedulePeriod:
        return cls(
            id=_str(raw, "id"),
            sequence=int(raw["sequence"]),
            due_at=_time(raw, "due_at"),
            status=raw["status"],
            attempts=int(raw["attempts"]),
            next_attempt_at=_opt_time(raw, "next_attempt_at"),
            history_id=_opt_str(raw, "history_id"),
            error=_opt_dict(raw, "error"),
        )


@dataclass(frozen=True)
class Schedule:
    id: str
    reservation_id: str
    price: Decimal
    title: str
    every: str
    first_at: datetime
    next_at: datetime | None
    status: ScheduleStatus
    retries: tuple[str, ...]
    webhook_url: str
    created_at: datetime
    cancelled_at: datetime | None
    periods: tuple[SchedulePeriod, ...]
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Schedule:
        return cls(
            id=_str(raw, "id"),
            reservation_id=_str(raw, "reservation_id"),
            price=_money(raw, "price"),
            title=_str(raw, "title"),
            every=_str(raw, "every"),
            first_at=_time(raw, "first_at"),
            next_at=_opt_time(raw, "next_at"),
            status=raw["status"],
            retries=tuple(_list(raw, "retries")),
            webhook_url=_str(raw, "webhook_url"),
            created_at=_time(raw, "created_at"),
            cancelled_at=_opt_time(raw, "cancelled_at"),
            periods=tuple(SchedulePeriod.from_dict(item) for item in _list(raw, "periods")),
            raw=dict(raw),
        )


@dataclass(frozen=True)
class ScheduleWebhook:
    """An event of a schedule posted to its `webhook_url`: `schedule.declined` (a period's
    charge was declined: `period` says when it is tried again, or that it failed) or
    `schedule.status` (`previous_status` → `schedule.status`). Its paid periods arrive as
    ordinary payment webhooks (`decode_webhook`)."""

    id: str
    type: Literal["schedule.declined", "schedule.status"]
    previous_status: str
    schedule: Schedule
    period: SchedulePeriod | None

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ScheduleWebhook:
        kind = raw["type"]
        if kind not in ("schedule.declined", "schedule.status"):
            raise ValueError(f"unknown schedule event {kind!r}")
        period = raw.get("period")
        return cls(
            id=_str(raw, "id"),
            type=kind,
            previous_status=str(raw["previous"]["status"]),
            schedule=Schedule.from_dict(raw["schedule"]),
            period=SchedulePeriod.from_dict(period) if period else None,
        )


@dataclass(frozen=True)
class SystemInfo:
    """The server process (``ISystem``, R3): its id, argv, package metadata and git commit.

    ``commit`` is None when the server runs outside a git checkout (this server allows that;
    the original fails the route instead).
    """

    uid: str
    arguments: tuple[str, ...]
    package: dict[str, Any]
    commit: dict[str, Any] | None
    created_at: datetime | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> SystemInfo:
        return cls(
            uid=_str(raw, "uid"),
            arguments=tuple(str(item) for item in _list(raw, "arguments")),
            package=_dict(raw, "package", {}),
            commit=_opt_dict(raw, "commit"),
            created_at=_opt_time(raw, "created_at"),
            raw=dict(raw),
        )


@dataclass(frozen=True)
class Performance:
    """The server process's resource usage (``IPerformance``, R2), Node.js key names.

    ``cpu`` is ``{user, system}`` in microseconds; ``memory`` is ``{rss, heapTotal, heapUsed,
    external, arrayBuffers}`` in bytes; ``resource`` is Node's ``process.resourceUsage()``.
    """

    cpu: dict[str, Any]
    memory: dict[str, Any]
    resource: dict[str, Any]
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Performance:
        return cls(
            cpu=_dict(raw, "cpu", {}),
            memory=_dict(raw, "memory", {}),
            resource=_dict(raw, "resource", {}),
            raw=dict(raw),
        )


@dataclass(frozen=True)
class VendorPlugin:
    """One vendor plugin the server has loaded (``GET /monitors/plugins``).

    ``webhook`` is the path its gateway posts webhooks to; ``distribution`` and ``version``
    are None for a plugin registered without an installed distribution.
    """

    code: str
    webhook: str
    plugin: str
    distribution: str | None
    version: str | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> VendorPlugin:
        return cls(
            code=_str(raw, "code"),
            webhook=_str(raw, "webhook", ""),
            plugin=_str(raw, "plugin", ""),
            distribution=_opt_str(raw, "distribution"),
            version=_opt_str(raw, "version"),
            raw=dict(raw),
        )

    @classmethod
    def from_list(cls, raw: Any) -> tuple[VendorPlugin, ...]:
        if not isinstance(raw, list):
            raise TypeError(f"expected a list of plugins, got {type(raw).__name__}")
        return tuple(cls.from_dict(item) for item in raw)


@dataclass(frozen=True)
class WebhookCounts:
    """The server's outgoing webhooks by state (``GET /monitors/webhooks``), and when the
    oldest still pending was created (None when none is pending)."""

    pending: int
    delivered: int
    failed: int
    oldest_pending_at: datetime | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> WebhookCounts:
        return cls(
            pending=_int(raw, "pending"),
            delivered=_int(raw, "delivered"),
            failed=_int(raw, "failed"),
            oldest_pending_at=_opt_time(raw, "oldest_pending_at"),
            raw=dict(raw),
        )


# --------------------------------------------------------------------------------------------
# Inputs: dataclass or mapping to the wire's dict.


def vendor_input(value: VendorInput) -> dict[str, str]:
    """`value` as the wire's ``IPaymentVendor``; a mapping needs code, store_id and uid."""
    if isinstance(value, PaymentVendor):
        return value.to_dict()
    return _pick(value, "vendor", ("code", "store_id", "uid"))


def source_input(value: SourceInput) -> dict[str, str]:
    """`value` as the wire's ``IPaymentSource``; a mapping needs schema, table and id."""
    if isinstance(value, PaymentSource):
        return value.to_dict()
    return _pick(value, "source", ("schema", "table", "id"))


def account_input(value: AccountInput | None) -> dict[str, str] | None:
    """`value` as the wire's ``IBankAccount``, or None (sent as JSON null)."""
    if value is None:
        return None
    if isinstance(value, BankAccount):
        return value.to_dict()
    return _pick(value, "account", ("bank", "account", "holder", "mobile"))


def amount_input(value: Amount, name: str = "price") -> int | Decimal:
    """Check that `value` is an exact, finite amount; integral values go out as integers."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise TypeError(f"{name} must be an int or a Decimal, not {type(value).__name__}")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{name} must be a finite number, not {value}")
        if value == value.to_integral_value():
            # JSON.stringify writes 20000, never 20000.0 or 2E+4.
            return int(value)
    return value


def _pick(value: Mapping[str, Any], name: str, keys: tuple[str, ...]) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a mapping or a dataclass, not {type(value).__name__}")
    missing = [key for key in keys if key not in value]
    if missing:
        raise ValueError(f"{name} lacks {', '.join(missing)}")
    # Only the declared keys, in declaration order: the server ignores others anyway.
    return {key: value[key] for key in keys}


# --------------------------------------------------------------------------------------------
# Readers: each raises ValueError naming the key, which the caller turns into its own error.

_MISSING: Any = object()


def _get(raw: Mapping[str, Any], key: str, default: Any) -> Any:
    if not isinstance(raw, Mapping):
        raise ValueError(f"expected a JSON object, got {type(raw).__name__}")
    if key in raw and raw[key] is not None:
        return raw[key]
    if default is _MISSING:
        raise ValueError(f"missing {key!r}")
    return default


def _record_head(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The id and vendor fields a history and a reservation both start with."""
    vendor = PaymentVendor.from_dict(_dict(raw, "vendor"))
    return {
        "id": _str(raw, "id"),
        "vendor_code": _str(raw, "vendor_code", vendor.code),
        "vendor": vendor,
    }


def _str(raw: Mapping[str, Any], key: str, default: Any = _MISSING) -> str:
    value = _get(raw, key, default)
    if not isinstance(value, str):
        raise ValueError(f"{key!r} must be a string, got {value!r}")
    return value


def _opt_str(raw: Mapping[str, Any], key: str) -> str | None:
    return _str(raw, key, None) if raw.get(key) is not None else None


def _dict(raw: Mapping[str, Any], key: str, default: Any = _MISSING) -> dict[str, Any]:
    value = _get(raw, key, default)
    if not isinstance(value, dict):
        raise ValueError(f"{key!r} must be an object, got {type(value).__name__}")
    return value


def _opt_dict(raw: Mapping[str, Any], key: str) -> dict[str, Any] | None:
    return _dict(raw, key) if raw.get(key) is not None else None


def _list(raw: Mapping[str, Any], key: str) -> list[Any]:
    value = _get(raw, key, [])
    if not isinstance(value, list):
        raise ValueError(f"{key!r} must be an array, got {type(value).__name__}")
    return value


def _int(raw: Mapping[str, Any], key: str) -> int:
    value = _get(raw, key, 0)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{key!r} must be an integer, got {value!r}")
    return value


def _money(raw: Mapping[str, Any], key: str) -> Decimal:
    value = _get(raw, key, _MISSING)
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError(f"{key!r} must be a number, got {value!r}")
    # A float only arrives when someone parsed the JSON with a plain json.loads; its repr is
    # the shortest text that reads back as the same double, i.e. what the server wrote.
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _opt_money(raw: Mapping[str, Any], key: str) -> Decimal | None:
    return _money(raw, key) if raw.get(key) is not None else None


def _time(raw: Mapping[str, Any], key: str) -> datetime:
    value = _get(raw, key, _MISSING)
    if not isinstance(value, str):
        raise ValueError(f"{key!r} must be an ISO-8601 string, got {value!r}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{key!r} is not an ISO-8601 timestamp: {value!r}") from None
    if parsed.tzinfo is None:
        # The wire always carries Z; a bare timestamp can only sensibly be UTC.
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _opt_time(raw: Mapping[str, Any], key: str) -> datetime | None:
    return _time(raw, key) if raw.get(key) is not None else None


def _source(raw: Mapping[str, Any], fallback: PaymentSource | None) -> PaymentSource:
    if raw.get("source") is None and fallback is not None:
        return fallback
    return PaymentSource.from_dict(_dict(raw, "source"))

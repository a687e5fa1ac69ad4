"""Plaintext request and response schemas of the payment API (docs/payment-api.md §2.3-2.4).

Validation follows the original's typia `assert`: unknown keys are ignored, `null` is refused
unless the type allows it, and the first violation is what the 400 names. `typia_name` is the
TypeScript type name the original reports as `expected`.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, ClassVar

import marshmallow as ma
from flask import current_app, has_app_context

from ..delivery.url_policy import SETTING as ALLOWED_NETWORKS
from ..delivery.url_policy import literal_address_problem, url_problem
from ..errors import PolicyRefusal, RawError
from ..payments import bounds, calendar
from ..payments.inputs import (
    NewCancel,
    NewCharge,
    NewHistory,
    NewReservation,
    NewSchedule,
    Source,
    VendorRef,
)
from ..transport import REDACT
from ..vendors import RefundAccount
from ..wire import UUID_PATTERN, invalid_uuid_parameter


class Strict(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE


class Builds(Strict):
    """A part of a request that loads into `builds` (a dataclass), field for field."""

    builds: ClassVar[Callable[..., Any]]

    @ma.post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> Any:
        return self.builds(**data)


class Money(ma.fields.Field):
    """A JSON number kept exact (the body parser yields int or Decimal, never float).

    Requests accept only what `bounds.amount_problem` allows: finite, above 0, at most
    `bounds.MAX_AMOUNT`, at most `bounds.MAX_DECIMALS` places, checked on the exponent before
    any arithmetic (no million-digit number is ever built from `1E+1000000`).
    """

    EXPECTED = (
        f"(number & ExclusiveMinimum<0> & Maximum<{bounds.MAX_AMOUNT:f}> "
        f"& MultipleOf<{Decimal(1).scaleb(-bounds.MAX_DECIMALS)}>)"
    )

    def __init__(self, *, bounded: bool = False, **kwargs: Any):
        """`bounded`: a request amount (documented with its bounds); else a stored one."""
        self.bounded = bounded
        kwargs.setdefault("metadata", {})
        kwargs["metadata"].setdefault(
            "expected", self.EXPECTED if bounded else "(number & Minimum<0>)"
        )
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
            raise ma.ValidationError("Not a number.")
        if isinstance(value, int) and value.bit_length() > 64:
            raise ma.ValidationError(f"Must be at most {bounds.MAX_AMOUNT:f}.")
        amount = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
        problem = bounds.amount_problem(amount)
        if problem:
            raise ma.ValidationError(problem)
        return amount

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return value

    def _jsonschema_type_mapping(self) -> dict[str, Any]:
        return {"type": "number"}


def _checked(max_length: int, multiline: bool) -> Any:
    def validate(value: str) -> None:
        problem = bounds.text_problem(value, max_length=max_length, multiline=multiline)
        if problem:
            raise ma.ValidationError(problem)

    return validate


def text(
    max_length: int, *, multiline: bool = False, validate: Any = None, **kwargs: Any
) -> ma.fields.String:
    """A required string that fits its column: bounded, no control characters (a NUL or an
    unpaired surrogate would be a database error, i.e. a 500), on both databases."""
    checks = [_checked(max_length, multiline), *([validate] if validate else [])]
    kwargs.setdefault("metadata", {})
    kwargs["metadata"].setdefault("maxLength", max_length)
    return ma.fields.String(required=True, validate=checks, **kwargs)


def _webhook_url(value: str) -> None:
    problem = url_problem(value)
    if problem:
        raise ma.ValidationError(problem)
    if has_app_context():
        policy = current_app.extensions["payment_service"].settings.webhooks.allowed_networks
        refused = literal_address_problem(value, policy)
        if refused:
            # Not a type error: the answer names the policy and its setting (RefusedInput).
            summary = f"webhook_url is refused by this server's {ALLOWED_NETWORKS}."
            raise ma.ValidationError(PolicyRefusal(refused, summary))


class SourceSchema(Builds):
    typia_name = "IPaymentSource"
    builds = Source

    schema = text(
        bounds.SOURCE_TEXT_MAX, metadata={"description": "DB schema of the service's source record"}
    )
    table = text(
        bounds.SOURCE_TEXT_MAX, metadata={"description": "table of the service's source record"}
    )
    id = text(
        bounds.SOURCE_TEXT_MAX,
        validate=ma.validate.Regexp(UUID_PATTERN),
        metadata={"expected": 'string & Format<"uuid">', "format": "uuid"},
    )


class PasswordSchema(Strict):
    typia_name = "IPaymentSource.IPassword"

    password = text(
        bounds.PASSWORD_MAX, metadata={"description": "the record's password", REDACT: "value"}
    )


class AccessorSchema(Strict):
    typia_name = "IPaymentSource.IAccessor"

    schema = text(bounds.SOURCE_TEXT_MAX)
    table = text(bounds.SOURCE_TEXT_MAX)
    id = text(
        bounds.SOURCE_TEXT_MAX,
        validate=ma.validate.Regexp(UUID_PATTERN),
        metadata={"format": "uuid"},
    )
    password = text(bounds.PASSWORD_MAX, metadata={REDACT: "value"})

    @ma.post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> tuple[Source, str]:
        password = data.pop("password")
        return Source(**data), password


class VendorSchema(Builds):
    typia_name = "IPaymentVendor"
    builds = VendorRef

    code = text(
        bounds.VENDOR_CODE_MAX,
        metadata={"description": "code of an installed vendor (GET /monitors/plugins lists them)"},
    )
    store_id = text(
        bounds.VENDOR_TEXT_MAX, metadata={"description": "the store (merchant) id at the gateway"}
    )
    uid = text(
        bounds.VENDOR_TEXT_MAX,
        metadata={"description": "the gateway's id of the payment or billing key"},
    )


class Registration(Builds):
    """What a registration names first: the record at the gateway, and the service's source."""

    vendor = ma.fields.Nested(VendorSchema, required=True)
    source = ma.fields.Nested(SourceSchema, required=True)


def webhook_url_field() -> ma.fields.String:
    return text(
        bounds.WEBHOOK_URL_MAX,
        validate=_webhook_url,
        metadata={
            "expected": 'string & Format<"uri">',
            "format": "uri",
            "description": "http(s) URL without user:password, where changes are posted",
            REDACT: "credentials",
        },
    )


class HistoryCreateSchema(Registration):
    typia_name = "IPaymentHistory.ICreate"
    builds = NewHistory

    price = Money(
        bounded=True, required=True, metadata={"description": "the amount the order expects"}
    )
    password = text(bounds.PASSWORD_MAX, metadata={REDACT: "value"})
    webhook_url = webhook_url_field()


class ChargeCreateSchema(Builds):
    typia_name = "IPaymentReservation.ICharge"
    builds = NewCharge

    password = text(
        bounds.PASSWORD_MAX,
        metadata={"description": "the reservation's password", REDACT: "value"},
    )
    source = ma.fields.Nested(
        SourceSchema,
        required=True,
        metadata={"description": "the order this charge pays (its id is the gateway's order id)"},
    )
    price = Money(bounded=True, required=True, metadata={"description": "the amount to charge"})
    title = text(
        bounds.FREE_TEXT_MAX, multiline=True, metadata={"description": "order name at the gateway"}
    )
    webhook_url = webhook_url_field()


class BankAccountSchema(Builds):
    typia_name = "IPaymentCancelHistory.IBankAccount"
    builds = RefundAccount

    # A refund account is personal data: a 400 never echoes any of it.
    bank = text(bounds.VENDOR_TEXT_MAX, metadata={REDACT: "value"})
    account = text(bounds.VENDOR_TEXT_MAX, metadata={REDACT: "value"})
    holder = text(bounds.VENDOR_TEXT_MAX, metadata={REDACT: "value"})
    mobile = text(bounds.VENDOR_TEXT_MAX, metadata={REDACT: "value"})


class CancelCreateSchema(Builds):
    typia_name = "IPaymentCancelHistory.ICreate"
    builds = NewCancel

    source = ma.fields.Nested(SourceSchema, required=True)
    password = text(bounds.PASSWORD_MAX, metadata={REDACT: "value"})
    price = Money(bounded=True, required=True, metadata={"description": "amount to refund"})
    reason = text(bounds.FREE_TEXT_MAX, multiline=True)
    account = ma.fields.Nested(
        BankAccountSchema,
        required=True,
        allow_none=True,
        metadata={
            "description": "refund account (virtual-account payments), else null",
            REDACT: "value",
        },
    )


class ReservationCreateSchema(Registration):
    typia_name = "IPaymentReservation.ICreate"
    builds = NewReservation

    title = text(bounds.FREE_TEXT_MAX, multiline=True)
    password = text(bounds.PASSWORD_MAX, metadata={REDACT: "value"})


def _duration(value: str) -> None:
    try:
        calendar.parse_duration(value)
    except ValueError as error:
        raise ma.ValidationError(str(error)) from None


class ScheduleCreateSchema(Strict):
    typia_name = "IPaymentSchedule.ICreate"

    password = text(
        bounds.PASSWORD_MAX,
        metadata={"description": "the reservation's password", REDACT: "value"},
    )
    price = Money(bounded=True, required=True, metadata={"description": "charged each period"})
    title = text(
        bounds.FREE_TEXT_MAX, multiline=True, metadata={"description": "order name at the gateway"}
    )
    every = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf(calendar.EVERY),
        metadata={"expected": '("month" | "week" | "day")', "enum": list(calendar.EVERY)},
    )
    first_at = ma.fields.AwareDateTime(
        required=True,
        metadata={
            "expected": 'string & Format<"date-time">',
            "description": "the first charge, with its offset; later ones keep its day of month",
        },
    )
    retries = ma.fields.List(
        ma.fields.String(validate=_duration),
        validate=ma.validate.Length(max=10),
        load_default=list(calendar.DEFAULT_RETRIES),
        metadata={
            "expected": "Array<string>",
            "description": "ISO-8601 durations after the due time at which a declined period "
            "is tried again (weeks, days, hours, minutes, seconds)",
        },
    )
    webhook_url = webhook_url_field()

    @ma.post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> NewSchedule:
        retries = tuple(data.pop("retries"))
        return NewSchedule(
            **data,
            retries=tuple(calendar.parse_duration(text) for text in retries),
            retries_text=retries,
        )


# -- responses -------------------------------------------------------------------------------


class VendorOutSchema(ma.Schema):
    code = ma.fields.String()
    uid = ma.fields.String()
    store_id = ma.fields.String()


class SourceOutSchema(ma.Schema):
    schema = ma.fields.String()
    table = ma.fields.String()
    id = ma.fields.String()


class CancelOutSchema(ma.Schema):
    price = Money()
    reason = ma.fields.String()
    created_at = ma.fields.String(metadata={"format": "date-time"})
    time = ma.fields.String(metadata={"format": "date-time", "description": "= created_at"})


class _RecordSchema(ma.Schema):
    """The fields a history and a reservation answer both start with."""

    id = ma.fields.String(metadata={"format": "uuid"})
    vendor_code = ma.fields.String()


class HistorySchema(_RecordSchema):
    typia_name = "IPaymentHistory"

    vendor = ma.fields.Nested(VendorOutSchema)
    source = ma.fields.Nested(SourceOutSchema)
    cancels = ma.fields.List(ma.fields.Nested(CancelOutSchema))
    currency = ma.fields.String()
    price = Money()
    refund = Money(allow_none=True)
    data = ma.fields.Dict(metadata={"description": "the gateway's payment record, as it is"})
    webhook_url = ma.fields.String(allow_none=True)
    created_at = ma.fields.String(metadata={"format": "date-time"})
    paid_at = ma.fields.String(allow_none=True, metadata={"format": "date-time"})
    cancelled_at = ma.fields.String(
        allow_none=True,
        metadata={"format": "date-time", "description": "time of the first refund"},
    )


class ReservationVendorOutSchema(ma.Schema):
    code = ma.fields.String()
    store_id = ma.fields.String()
    uid = ma.fields.String()


class ReservationSchema(_RecordSchema):
    typia_name = "IPaymentReservation"

    vendor = ma.fields.Nested(ReservationVendorOutSchema)
    source = ma.fields.Nested(SourceOutSchema)
    title = ma.fields.String()
    data = ma.fields.Dict(metadata={"description": "the gateway's card / billing record"})
    created_at = ma.fields.String(metadata={"format": "date-time"})


class WebhookHistorySchema(Strict):
    """What a service receives at its `webhook_url` (decrypted), and what R13 accepts."""

    typia_name = "IPaymentWebhookHistory"

    id = text(
        bounds.SOURCE_TEXT_MAX, metadata={"format": "uuid", "description": "de-duplication key"}
    )
    source = ma.fields.Nested(SourceSchema, required=True)
    previous = ma.fields.Dict(required=True, metadata={"description": "IPaymentHistory before"})
    current = ma.fields.Dict(required=True, metadata={"description": "IPaymentHistory after"})


def require_uuid(value: str) -> str:
    """The path parameter `:id`, refused exactly as the original refuses a non-UUID."""
    if UUID_PATTERN.match(value):
        return value.lower().removeprefix("urn:uuid:")
    raise RawError(400, invalid_uuid_parameter("id", value))


class SchedulePeriodSchema(ma.Schema):
    id = ma.fields.String(metadata={"format": "uuid", "description": "the order id it pays"})
    sequence = ma.fields.Integer()
    due_at = ma.fields.String(metadata={"format": "date-time"})
    status = ma.fields.String(
        metadata={"enum": ["pending", "paid", "retrying", "failed", "cancelled"]}
    )
    attempts = ma.fields.Integer()
    next_attempt_at = ma.fields.String(allow_none=True, metadata={"format": "date-time"})
    history_id = ma.fields.String(
        allow_none=True, metadata={"format": "uuid", "description": "the payment, once paid"}
    )
    error = ma.fields.Dict(
        allow_none=True, metadata={"description": "the last decline: {code, message}"}
    )


class ScheduleSchema(ma.Schema):
    typia_name = "IPaymentSchedule"

    id = ma.fields.String(metadata={"format": "uuid"})
    reservation_id = ma.fields.String(metadata={"format": "uuid"})
    price = Money()
    title = ma.fields.String()
    every = ma.fields.String(metadata={"enum": ["month", "week", "day"]})
    first_at = ma.fields.String(metadata={"format": "date-time"})
    next_at = ma.fields.String(allow_none=True, metadata={"format": "date-time"})
    status = ma.fields.String(metadata={"enum": ["active", "past_due", "cancelled"]})
    retries = ma.fields.List(ma.fields.String())
    webhook_url = ma.fields.String()
    created_at = ma.fields.String(metadata={"format": "date-time"})
    cancelled_at = ma.fields.String(allow_none=True, metadata={"format": "date-time"})
    periods = ma.fields.List(ma.fields.Nested(SchedulePeriodSchema))

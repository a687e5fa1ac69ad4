"""Plaintext request and response schemas of the payment API (spec §2.3-2.4).

Validation follows the original's typia `assert`: unknown keys are ignored, `null` is refused
unless the type allows it, and the first violation is what the 400 names. `typia_name` is the
TypeScript type name the original reports as `expected`.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import marshmallow as ma

from ..payments.inputs import NewCancel, NewHistory, NewReservation, Source, VendorRef
from ..vendors import RefundAccount

UUID_PATTERN = re.compile(
    r"^(?:urn:uuid:)?[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$", re.IGNORECASE
)
# typia's `uri` format: an absolute URI with a scheme.
URI_PATTERN = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s]+$")


class Strict(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE


class Money(ma.fields.Field):
    """A JSON number kept exact (the body parser yields int or Decimal, never float)."""

    def __init__(self, *, positive: bool = False, **kwargs: Any):
        self.positive = positive
        expected = "(number & ExclusiveMinimum<0>)" if positive else "(number & Minimum<0>)"
        kwargs.setdefault("metadata", {})
        kwargs["metadata"].setdefault("expected", expected)
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
            raise ma.ValidationError("Not a number.")
        amount = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
        if not amount.is_finite() or amount < 0 or (self.positive and amount == 0):
            raise ma.ValidationError("Not an allowed amount.")
        return amount

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return value

    def _jsonschema_type_mapping(self) -> dict[str, Any]:
        return {"type": "number"}


def text(**kwargs: Any) -> ma.fields.String:
    return ma.fields.String(required=True, **kwargs)


def no_nul(value: str) -> None:
    if "\x00" in value:
        raise ma.ValidationError("Must not contain NUL characters.")


class SourceSchema(Strict):
    typia_name = "IPaymentSource"

    schema = text(metadata={"description": "DB schema of the service's source record"})
    table = text(metadata={"description": "table of the service's source record"})
    id = text(
        validate=ma.validate.Regexp(UUID_PATTERN),
        metadata={"expected": 'string & Format<"uuid">', "format": "uuid"},
    )

    @ma.post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> Source:
        return Source(**data)


class PasswordSchema(Strict):
    typia_name = "IPaymentSource.IPassword"

    password = text(validate=no_nul, metadata={"description": "the record's password"})


class AccessorSchema(Strict):
    typia_name = "IPaymentSource.IAccessor"

    schema = text()
    table = text()
    id = text(validate=ma.validate.Regexp(UUID_PATTERN), metadata={"format": "uuid"})
    password = text(validate=no_nul)

    @ma.post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> tuple[Source, str]:
        password = data.pop("password")
        return Source(**data), password


class VendorSchema(Strict):
    typia_name = "IPaymentVendor"

    code = text(metadata={"description": 'vendor code, e.g. "iamport" or "toss.payments"'})
    store_id = text(metadata={"description": "the store (merchant) id at the gateway"})
    uid = text(metadata={"description": "the gateway's id of the payment or billing key"})

    @ma.post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> VendorRef:
        return VendorRef(**data)


class HistoryCreateSchema(Strict):
    typia_name = "IPaymentHistory.ICreate"

    vendor = ma.fields.Nested(VendorSchema, required=True)
    source = ma.fields.Nested(SourceSchema, required=True)
    price = Money(required=True, metadata={"description": "the amount the order expects"})
    password = text(validate=no_nul)
    webhook_url = text(
        validate=[ma.validate.Regexp(URI_PATTERN), ma.validate.Length(max=1024)],
        metadata={"expected": 'string & Format<"uri">', "format": "uri"},
    )

    @ma.post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> NewHistory:
        return NewHistory(**data)


class BankAccountSchema(Strict):
    typia_name = "IPaymentCancelHistory.IBankAccount"

    bank = text()
    account = text()
    holder = text()
    mobile = text()

    @ma.post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> RefundAccount:
        return RefundAccount(**data)


class CancelCreateSchema(Strict):
    typia_name = "IPaymentCancelHistory.ICreate"

    source = ma.fields.Nested(SourceSchema, required=True)
    password = text(validate=no_nul)
    price = Money(positive=True, required=True, metadata={"description": "amount to refund"})
    reason = text()
    account = ma.fields.Nested(
        BankAccountSchema,
        required=True,
        allow_none=True,
        metadata={"description": "refund account (virtual-account payments), else null"},
    )

    @ma.post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> NewCancel:
        return NewCancel(**data)


class ReservationCreateSchema(Strict):
    typia_name = "IPaymentReservation.ICreate"

    vendor = ma.fields.Nested(VendorSchema, required=True)
    source = ma.fields.Nested(SourceSchema, required=True)
    title = text()
    password = text(validate=no_nul)

    @ma.post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> NewReservation:
        return NewReservation(**data)


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


class HistorySchema(ma.Schema):
    typia_name = "IPaymentHistory"

    id = ma.fields.String(metadata={"format": "uuid"})
    vendor_code = ma.fields.String()
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


class ReservationSchema(ma.Schema):
    typia_name = "IPaymentReservation"

    id = ma.fields.String(metadata={"format": "uuid"})
    vendor_code = ma.fields.String()
    vendor = ma.fields.Nested(ReservationVendorOutSchema)
    source = ma.fields.Nested(SourceOutSchema)
    title = ma.fields.String()
    data = ma.fields.Dict(metadata={"description": "the gateway's card / billing record"})
    created_at = ma.fields.String(metadata={"format": "date-time"})


class WebhookHistorySchema(Strict):
    """What a service receives at its `webhook_url` (decrypted), and what R13 accepts."""

    typia_name = "IPaymentWebhookHistory"

    id = text(metadata={"format": "uuid", "description": "de-duplication key"})
    source = ma.fields.Nested(SourceSchema, required=True)
    previous = ma.fields.Dict(required=True, metadata={"description": "IPaymentHistory before"})
    current = ma.fields.Dict(required=True, metadata={"description": "IPaymentHistory after"})


def require_uuid(value: str) -> str:
    """The path parameter `:id`, refused exactly as the original refuses a non-UUID."""
    from ..transport import RawError

    if UUID_PATTERN.match(value):
        return value.lower().removeprefix("urn:uuid:")
    raise RawError(
        400,
        {
            "message": 'Invalid URL parameter value on "id".',
            "path": "$input",
            "expected": 'string & Format<"uuid">',
            "value": value,
            "reason": "Error on typia.assert(): invalid type on $input, expect to be "
            'string & Format<"uuid">',
        },
    )

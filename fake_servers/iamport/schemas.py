"""Request bodies and queries as iamport-server-api@10 declares them (typia semantics).

Fields are listed in the order typia reports violations: an interface's own fields first, then
the inherited ones. Two checks are stricter than the original's input types, which only its
response check caught (a 500 after the payment was stored and its webhook sent): `card_quota`
must be a uint32 and a virtual account's `buyer_email` an e-mail address.
"""

from __future__ import annotations

from fake_servers.common.validation import (
    Boolean,
    Literal,
    Nullable,
    Number,
    Object,
    Optional,
    Schema,
    String,
)

CURRENCIES = ("KRW", "USD", "EUR", "JPY")
STATUSES = ("paid", "ready", "failed", "cancelled")

CARD_NUMBER = r"\d{4}-\d{4}-\d{4}-\d{4}"
EXPIRY = r"^([0-9]{4})-(0[1-9]|1[012])$"
CARD_BIRTH = r"^(([0-9]{2})(0[1-9]|1[012])(0[1-9]|[12][0-9]|3[01]))|(\d{10})$"
TWO_DIGITS = r"\d{2}"
BIRTH_DATE = r"^([0-9]{4})(0[1-9]|1[012])(0[1-9]|[12][0-9]|3[01])$"


def _optional_strings(*names: str) -> dict[str, Schema]:
    return {name: Optional(String()) for name in names}


ACCESSOR = Object(
    "IIamportUser.IAccessor",
    {"imp_key": String(), "imp_secret": String()},
)

_CARD: dict[str, Schema] = {
    "card_number": String(pattern=CARD_NUMBER),
    "expiry": String(pattern=EXPIRY),
    "birth": String(pattern=CARD_BIRTH),
    "pwd_2digit": Optional(String(pattern=TWO_DIGITS)),
    "cvc": Optional(String(pattern=TWO_DIGITS)),
    "customer_name": Optional(String()),
    "customer_tel": Optional(String()),
    "customer_email": Optional(String(format="email")),
    "customr_addr": Optional(String()),
    "customer_postcode": Optional(String()),
}

_CHARGE: dict[str, Schema] = {
    "merchant_uid": String(),
    "amount": Number(),
    "name": String(),
    "currency": Optional(Literal(*CURRENCIES)),
    "tax_free": Optional(Number()),
    "card_quota": Optional(Number(minimum=0, integer=True)),
    "buyer_name": Optional(String()),
    "buyer_email": Optional(String(format="email")),
    "buyer_tel": Optional(String()),
    "buyer_addr": Optional(String()),
    "buyer_postcode": Optional(String()),
    "interest_free_by_merchant": Optional(Boolean()),
    "use_card_point": Optional(Boolean()),
    "custom_data": Optional(String()),
    "notice_url": Optional(String(format="uri")),
}

SUBSCRIPTION_CREATE = Object("IIamportSubscription.ICreate", {**_CARD, "customer_uid": String()})

ONETIME = Object(
    "IIamportSubscription.IOnetime",
    {"customer_uid": Optional(String()), **_CARD, **_CHARGE},
)

AGAIN = Object("IIamportSubscription.IAgain", {**_CHARGE, "customer_uid": String()})

VBANK_CREATE = Object(
    "IIamportVBankPayment.ICreate",
    {
        "merchant_uid": String(),
        "amount": Number(),
        "vbank_code": String(),
        "vbank_due": Number(),
        "vbank_holder": String(),
        "name": Optional(String()),
        "buyer_name": Optional(String()),
        "buyer_email": Optional(String(format="email")),
        **_optional_strings(
            "buyer_tel",
            "buyer_addr",
            "buyer_postcode",
            "pg",
            "notice_url",
            "custom_data",
            "pg_api_key",
        ),
    },
)

VBANK_UPDATE = Object(
    "IIamportVBankPayment.IUpdate",
    {"imp_uid": String(), "amount": Optional(Number()), "vbank_due": Optional(Number())},
)

PAYMENT_QUERY = Object("IIamportPayment.IQuery", {"extension": Optional(Boolean())})

# GET /payments/status/:payment_status (not in the SDK; iamport's published REST API).
PAYMENT_LIST_QUERY = Object(
    "IIamportPayment.IListQuery",
    {
        "page": Optional(Number(minimum=1, integer=True)),
        "limit": Optional(Number(minimum=1, integer=True)),
        "from": Optional(Number(minimum=0, integer=True)),
        "to": Optional(Number(minimum=0, integer=True)),
        "sorting": Optional(Literal("-started", "started", "-paid", "paid", "-updated", "updated")),
    },
)

CANCEL = Object(
    "IIamportPaymentCancel.ICreate",
    {
        "imp_uid": String(),
        "merchant_uid": String(),
        "amount": Optional(Number()),
        "checksum": Nullable(Number(minimum=0)),
        "reason": String(),
        "tax_free": Optional(Number()),
        **_optional_strings("refund_holder", "refund_bank", "refund_account", "refund_tel"),
    },
)

RECEIPT_CREATE = Object(
    "IIamportReceipt.ICreate",
    {
        "imp_uid": String(),
        "identifier": String(),
        "identifier_type": Optional(Literal("person", "business", "phone", "taxcard")),
        "type": Optional(Literal("person", "company")),
        **_optional_strings("buyer_name", "buyer_email", "buyer_tel"),
        "tax_free": Optional(Number()),
    },
)

CERTIFICATION_CREATE = Object(
    "IIamportCertification.ICreate",
    {
        "name": String(),
        "phone": String(),
        "birth": String(pattern=BIRTH_DATE),
        "gender_digit": String(),
        "carrier": Literal("SKT", "KT", "LGT"),
        "is_mvno": Optional(Boolean()),
        **_optional_strings("commpany", "merchant_uid", "pg"),
    },
)

CERTIFICATION_CONFIRM = Object("IIamportCertification.IConfirm", {"otp": String()})

WEBHOOK = Object(
    "IIamportPayment.IWebhook",
    {"imp_uid": String(), "merchant_uid": String(), "status": Literal(*STATUSES)},
)

"""The records the fake keeps, printed exactly as iamport's JSON types declare them.

`to_json()` yields the declared fields in declaration order and nothing else: a payment's hidden
`notice_url` never leaves the fake.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from . import generators
from .generators import RECEIPT_URL, new_id


class Record:
    """A record printed as its dataclass fields (subclasses that print otherwise override)."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]  # every subclass is a dataclass


@dataclass(kw_only=True)
class User(Record):
    """An issued access token (`IIamportUser`)."""

    now: float
    expired_at: float
    access_token: str = field(default_factory=new_id)


@dataclass(kw_only=True)
class PaymentCancel:
    """One entry of a payment's `cancel_history` (`IIamportPaymentCancel`)."""

    pg_id: str
    pg_tid: str
    amount: float
    cancelled_at: float
    reason: str
    receipt_url: str


@dataclass(kw_only=True)
class Payment:
    """The fields every `IIamportPayment` shares, in iamport's declaration order."""

    pay_method: str
    imp_uid: str = field(default_factory=new_id)
    merchant_uid: str
    name: str | None
    amount: float
    cancel_amount: float = 0
    currency: str = "KRW"
    receipt_url: str = RECEIPT_URL
    cash_receipt_issue: bool = True
    channel: str = field(default_factory=generators.channel)
    pg_provider: str = "somewhere"
    emb_pg_provider: str | None = None
    pg_id: str = field(default_factory=new_id)
    pg_tid: str = ""
    escrow: bool = False
    buyer_name: str | None = None
    buyer_email: str | None = None
    buyer_tel: str | None = None
    buyer_addr: str | None = None
    buyer_postcode: str | None = None
    customer_uid: str | None = None
    customer_uid_usage: str | None = None
    custom_data: str | None = None
    user_agent: str | None = "Test Automation"
    status: str
    started_at: float
    paid_at: float = 0
    failed_at: float = 0
    cancelled_at: float = 0
    fail_reason: str | None = None
    cancel_reason: str | None = None
    cancel_history: list[PaymentCancel] = field(default_factory=list)
    notice_url: str | None = None

    def __post_init__(self) -> None:
        # iamport's fake reports one identifier for both the PG and its transaction.
        self.pg_tid = self.pg_tid or self.pg_id

    @property
    def refundable(self) -> float:
        """What is left to refund: nothing before the money arrived."""
        return self.amount - self.cancel_amount if self.paid_at else 0

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        # The union members of IIamportPayment print their own fields before the shared ones.
        own = {key: value for key, value in data.items() if key not in _SHARED}
        return own | {key: data[key] for key in _BASE_FIELDS}


_HIDDEN = frozenset({"notice_url"})
_BASE_FIELDS = [f.name for f in fields(Payment) if f.name not in _HIDDEN]
_SHARED = frozenset(_BASE_FIELDS) | _HIDDEN


@dataclass(kw_only=True)
class CardPayment(Payment):
    """`IIamportCardPayment`."""

    pay_method: str = "card"
    card_code: str
    card_name: str
    card_number: str
    card_quota: int = 0
    apply_num: str = field(default_factory=new_id)


@dataclass(kw_only=True)
class VBankPayment(Payment):
    """`IIamportVBankPayment`: a virtual bank account waiting for the customer's transfer."""

    pay_method: str = "vbank"
    vbank_code: str
    vbank_name: str = field(default_factory=lambda: generators.hangul_name(2) + "은행")
    vbank_num: str = field(default_factory=generators.account_number)
    vbank_holder: str = field(default_factory=generators.hangul_name)
    vbank_date: float
    vbank_issued_at: int


@dataclass(kw_only=True)
class Subscription(Record):
    """A card saved for later charges (`IIamportSubscription`); customer data is made up."""

    pg_provider: str = "pg-of-somewhere"
    pg_id: str = field(default_factory=new_id)
    card_name: str = field(default_factory=generators.hangul_name)
    card_code: str = field(default_factory=new_id)
    card_number: str
    card_type: str = "card"
    customer_name: str | None = field(default_factory=generators.hangul_name)
    customer_tel: str | None = field(default_factory=generators.mobile_number)
    customer_email: str | None = field(default_factory=generators.email_address)
    customer_addr: str | None = "address-of-somewhere"
    customer_postcode: str | None = "11122"
    inserted: int = 1
    updated: int = 0
    customer_uid: str


@dataclass(kw_only=True)
class Certification:
    """An identity verification by OTP (`IIamportCertification`)."""

    otp: str = field(default_factory=generators.otp)
    imp_uid: str = field(default_factory=new_id)
    merchant_uid: str | None
    name: str
    gender: str
    birth: float
    birthday: str
    foreigner: bool = False
    phone: str
    carrier: str
    certified: bool = False
    certified_at: float = 0
    unique_key: str = field(default_factory=new_id)
    unique_in_site: str = field(default_factory=new_id)
    pg_tid: str = field(default_factory=new_id)
    pg_provider: str = "some-provider"
    origin: str = "fake-iamport"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        # The test-only OTP is declared as `__otp`, and clients read it to confirm.
        return {"__otp": data.pop("otp"), **data}


@dataclass(kw_only=True)
class Receipt(Record):
    """A cash receipt issued for a payment (`IIamportReceipt`)."""

    imp_uid: str
    receipt_uid: str = field(default_factory=new_id)
    apply_num: str = field(default_factory=new_id)
    type: str
    amount: float
    vat: float
    receipt_url: str = RECEIPT_URL
    applied_at: float
    cancelled_at: float = 0


@dataclass(kw_only=True)
class Webhook(Record):
    """The body iamport posts when a payment changes (`IIamportPayment.IWebhook`)."""

    imp_uid: str
    merchant_uid: str
    status: str

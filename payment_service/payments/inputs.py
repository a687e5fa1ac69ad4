"""What the routes hand to the payment behaviour, already validated."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from ..vendors import RefundAccount


@dataclass(frozen=True)
class Source:
    """The record in the calling service that a payment belongs to (e.g. its order)."""

    schema: str
    table: str
    id: str


@dataclass(frozen=True)
class VendorRef:
    code: str
    store_id: str
    uid: str


@dataclass(frozen=True)
class NewHistory:
    vendor: VendorRef
    source: Source
    price: Decimal
    password: str
    webhook_url: str
    password_hash: str | None = None
    """The bcrypt hash to protect the payment with, when the server acts on its own (a
    schedule's charge) and holds no password: used instead of hashing `password`."""


@dataclass(frozen=True)
class NewCancel:
    source: Source
    password: str
    price: Decimal
    reason: str
    account: RefundAccount | None


@dataclass(frozen=True)
class NewReservation:
    vendor: VendorRef
    source: Source
    title: str
    password: str


@dataclass(frozen=True)
class NewCharge:
    """A charge of a saved card: `source` is the order it pays (the gateway's order id),
    `password` the reservation's (it also protects the payment recorded)."""

    source: Source
    password: str
    price: Decimal
    title: str
    webhook_url: str


@dataclass(frozen=True)
class NewSchedule:
    password: str
    price: Decimal
    title: str
    every: str
    first_at: datetime
    retries: tuple[timedelta, ...]
    retries_text: tuple[str, ...]
    webhook_url: str

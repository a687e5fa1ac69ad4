"""The objects PortOne V2 answers with (`Payment`, `PaymentCancellation`, `BillingKeyInfo`, ...),
built with the fields and enum values of its OpenAPI document."""

from __future__ import annotations

import copy
import secrets
import uuid
from datetime import datetime
from typing import Any

from fake_servers.common.clock import FakeClock

Json = dict[str, Any]

MERCHANT_ID = "merchant-00000000-0000-4000-8000-000000000000"
DEFAULT_STORE_ID = "store-00000000-0000-4000-8000-000000000000"
DEFAULT_CHANNEL_KEY = "channel-key-00000000-0000-4000-8000-000000000000"
CHANNEL: Json = {
    "type": "TEST",
    "id": "channel-id-fake-portone",
    "key": DEFAULT_CHANNEL_KEY,
    "name": "fake PortOne test channel",
    "pgProvider": "TOSSPAYMENTS",
    "pgMerchantId": "tosstest",
}
DEFAULT_CARD_NUMBER = "1111222233334444"
CARD_METHOD = "PaymentMethodCard"
VIRTUAL_ACCOUNT_METHOD = "PaymentMethodVirtualAccount"
# The filter values of `methods` in GET /payments, per method object type.
METHOD_TYPES = {CARD_METHOD: "CARD", VIRTUAL_ACCOUNT_METHOD: "VIRTUAL_ACCOUNT"}


def stamp(clock: FakeClock) -> str:
    """RFC 3339 in UTC with milliseconds, as PortOne prints times; never the same instant twice
    (`FakeClock.unique`), so payments list in the order they were made and a listing cursor is
    never ambiguous."""
    return clock.iso(clock.unique())


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def snapshot(value: Json) -> Json:
    return copy.deepcopy(value)


def amount(total: int, tax_free: int = 0, paid: int | None = None) -> Json:
    """`PaymentAmount`: VAT is a tenth of the taxable supply (total = supply + VAT + tax-free)."""
    vat = (total - tax_free) // 11
    return {
        "total": total,
        "taxFree": tax_free,
        "vat": vat,
        "supply": total - tax_free - vat,
        "discount": 0,
        "paid": total if paid is None else paid,
        "cancelled": 0,
        "cancelledTaxFree": 0,
    }


def card(number: str) -> Json:
    masked = number[:6] + "*" * max(len(number) - 10, 0) + number[-4:]
    return {
        "publisher": "SHINHAN",
        "issuer": "SHINHAN",
        "brand": "LOCAL",
        "type": "CREDIT",
        "ownerType": "PERSONAL",
        "bin": number[:6],
        "name": "fake card",
        "number": masked,
    }


def card_method(number: str, installment_months: int = 0) -> Json:
    return {
        "type": CARD_METHOD,
        "card": card(number),
        "approvalNumber": f"{secrets.randbelow(10**8):08d}",
        "installment": {"month": installment_months, "isInterestFree": False},
        "pointUsed": False,
    }


def virtual_account_method(bank: str, remittee: str, clock: FakeClock) -> Json:
    due = clock.later(3 * 24 * 60 * 60).isoformat(timespec="seconds").replace("+00:00", "Z")
    return {
        "type": VIRTUAL_ACCOUNT_METHOD,
        "bank": bank,
        "accountNumber": f"{secrets.randbelow(10**12):012d}",
        "accountType": "NORMAL",
        "remitteeName": remittee,
        "expiredAt": due,
        "issuedAt": stamp(clock),
    }


def payment(
    *,
    payment_id: str,
    store_id: str,
    status: str,
    order_name: str,
    total: int,
    currency: str,
    method: Json,
    customer: Json | None = None,
    custom_data: str | None = None,
    billing_key: str | None = None,
    platform: str = "PC",
    clock: FakeClock,
) -> Json:
    """A new payment in `status` (`PAID` or `VIRTUAL_ACCOUNT_ISSUED`).

    `platform` is where it was requested: `PC` or `MOBILE` (a checkout window), `API`.
    """
    at = stamp(clock)
    paid = status == "PAID"
    record: Json = {
        "status": status,
        "id": payment_id,
        "transactionId": str(uuid.uuid4()),
        "merchantId": MERCHANT_ID,
        "storeId": store_id,
        "method": method,
        "channel": dict(CHANNEL),
        "version": "V2",
        "webhooks": [],
        "requestedAt": at,
        "updatedAt": at,
        "statusChangedAt": at,
        "orderName": order_name,
        "amount": amount(total, paid=total if paid else 0),
        "currency": currency,
        "customer": dict(customer or {}),
        "origin": {"platformType": platform, "ipAddress": "127.0.0.1"},
        "disputes": [],
        "cancellations": [],
        "pgTxId": f"pg-tx-{secrets.token_hex(8)}",
    }
    if custom_data is not None:
        record["customData"] = custom_data
    if billing_key is not None:
        record["billingKey"] = billing_key
    if paid:
        mark_paid(record, at)
    return record


def mark_paid(record: Json, at: str) -> None:
    record["status"] = "PAID"
    record["paidAt"] = at
    record["statusChangedAt"] = at
    record["updatedAt"] = at
    record["amount"]["paid"] = record["amount"]["total"]
    record["receiptUrl"] = f"https://receipt.example.invalid/{record['transactionId']}"


def mark_failed(record: Json, failure: Json, clock: FakeClock) -> None:
    """A payment attempt that took no money (`FailedPayment`): `failure` says why."""
    at = stamp(clock)
    record["status"] = "FAILED"
    record["failedAt"] = record["statusChangedAt"] = record["updatedAt"] = at
    record["failure"] = failure
    record.pop("pgTxId", None)


def cancellation(amount_: int, reason: str, clock: FakeClock, tax_free: int = 0) -> Json:
    at = stamp(clock)
    return {
        "status": "SUCCEEDED",
        "id": str(uuid.uuid4()),
        "pgCancellationId": f"pg-cancel-{secrets.token_hex(8)}",
        "totalAmount": amount_,
        "taxFreeAmount": tax_free,
        "vatAmount": (amount_ - tax_free) // 11,
        "reason": reason,
        "cancelledAt": at,
        "requestedAt": at,
        "trigger": "API",
    }


def billing_key_info(
    *,
    billing_key: str,
    store_id: str,
    number: str,
    customer: Json,
    custom_data: str | None,
    clock: FakeClock,
) -> Json:
    at = stamp(clock)
    method = {"type": "BillingKeyPaymentMethodCard", "card": card(number)}
    record: Json = {
        "status": "ISSUED",
        "billingKey": billing_key,
        "merchantId": MERCHANT_ID,
        "storeId": store_id,
        "methods": [method],
        "channels": [dict(CHANNEL)],
        "customer": dict(customer),
        "requestedAt": at,
        "issuedAt": at,
        "pgBillingKeyIssueResponses": [
            {
                "type": "ISSUED",
                "channel": dict(CHANNEL),
                "pgTxId": f"pg-billing-{secrets.token_hex(8)}",
                "method": method,
            }
        ],
    }
    if custom_data is not None:
        record["customData"] = custom_data
    return record


def customer(input: Json | None) -> Json:
    """`Customer` from a `CustomerInput` (a name given as `{full}` becomes a plain string)."""
    if not input:
        return {}
    out: Json = {}
    for key in ("id", "birthYear", "birthMonth", "birthDay", "email", "phoneNumber", "zipcode"):
        if isinstance(input.get(key), str):
            out[key] = input[key]
    name = input.get("name")
    if isinstance(name, dict) and isinstance(name.get("full"), str):
        out["name"] = name["full"]
    elif isinstance(name, str):
        out["name"] = name
    return out

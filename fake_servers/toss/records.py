"""The wire objects of the Toss API, built with the fake's constants and in typia's field order."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fake_servers.common.clock import FakeClock

Json = dict[str, Any]

CARD = "카드"
VIRTUAL_ACCOUNT = "가상계좌"
TRANSFER = "계좌이체"
RECEIPT_URL = "https://github.com/samchon/fake-toss-payments-server"
DEFAULT_ORDER_NAME = "test"


def new_key() -> str:
    return str(uuid.uuid4())


def shift_iso(text: str, seconds: float) -> str:
    """An ISO timestamp of the fake moved `seconds` into the past, printed as `FakeClock.iso`
    prints it."""
    moment = datetime.fromisoformat(text).astimezone(UTC) - timedelta(seconds=seconds)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def snapshot(value: Json) -> Json:
    """A private copy of a stored object, safe to serialise after the lock is released."""
    return copy.deepcopy(value)


def _common(input: Json) -> Json:
    """The fields every payment variant shares, up to `cultureExpense`."""
    return {
        "mId": "tosspayments",
        "version": "1.3",
        "paymentKey": new_key(),
        "orderId": input["orderId"],
        "transactionKey": new_key(),
        "orderName": input.get("orderName", DEFAULT_ORDER_NAME),
        "currency": "KRW",
        "totalAmount": input["amount"],
        "balanceAmount": input["amount"],
        "suppliedAmount": input["amount"],
        "taxFreeAmount": 0,
        "vat": 0,
        "useEscrow": False,
        "cultureExpense": False,
    }


def card_payment(
    input: Json,
    card_number: str,
    installment_months: float,
    approved: bool,
    type: str,
    clock: FakeClock,
) -> Json:
    """A card payment (`ITossCardPayment`) for a key-in or billing request `input`."""
    now = clock.iso()
    return {
        "card": {
            "company": "신한카드",
            "number": card_number,
            "installmentPlanMonths": installment_months,
            "isInterestFree": True,
            "approveNo": "temporary-card-approval-number",
            "useCardPoint": False,
            "cardType": "신용",
            "ownerType": "개인",
            "acquireStatus": "READY",
            "receiptUrl": RECEIPT_URL,
        },
        "discount": None,
        "easyPay": None,
        "method": CARD,
        "type": type,
        "status": "DONE" if approved else "IN_PROGRESS",
        **_common(input),
        "requestedAt": now,
        "approvedAt": now if approved else None,
        "cancels": None,
        "cashReceipt": None,
    }


def virtual_account_payment(input: Json, clock: FakeClock) -> Json:
    """A virtual-account payment (`ITossVirtualAccountPayment`) waiting for its deposit."""
    # The original computes the due date from the server's local calendar, not UTC.
    due = clock.now().astimezone().date() + timedelta(days=3)
    return {
        "secret": new_key(),
        "virtualAccount": {
            "accountNumber": "110417532896",
            "accountType": "일반",
            "bank": input["bank"],
            "customerName": input["customerName"],
            "dueDate": due.isoformat(),
            "expired": False,
            "settlementStatus": "INCOMPLETED",
            "refundStatus": "NONE",
        },
        "method": VIRTUAL_ACCOUNT,
        "type": "NORMAL",
        "status": "WAITING_FOR_DEPOSIT",
        **_common(input),
        "requestedAt": clock.iso(),
        "approvedAt": None,
        "cancels": None,
        "cashReceipt": None,
    }


def cancel_entry(input: Json, amount: float, balance_after: float, clock: FakeClock) -> Json:
    """One `ITossPaymentCancel` for a cancel request `input` of `amount`."""
    return {
        "cancelAmount": amount,
        "cancelReason": input["cancelReason"],
        "taxFreeAmount": input.get("taxFreeAmount", 0),
        "taxAmount": input.get("taxAmount", 0),
        "refundableAmount": input.get("refundableAmount", balance_after),
        "canceledAt": clock.iso(),
    }


def billing(input: Json, clock: FakeClock) -> Json:
    """An `ITossBilling` for a card registration request `input`."""
    return {
        # The misspelling is the original's; clients may have recorded it.
        "mId": "tosspyaments",
        "billingKey": new_key(),
        "method": CARD,
        "cardCompany": "신한",
        "cardNumber": input["cardNumber"],
        "authenticatedAt": clock.iso(),
        "customerKey": input["customerKey"],
    }


def cash_receipt(input: Json, clock: FakeClock) -> Json:
    """An `ITossCashReceipt` for an issue request `input`."""
    return {
        "receiptKey": new_key(),
        "type": input["type"],
        "orderId": input["orderId"],
        "orderName": input["orderName"],
        "approvalNumber": new_key(),
        "approvedAt": clock.iso(),
        "canceledAt": None,
        "receiptUrl": RECEIPT_URL,
    }


def cash_receipt_summary(receipt: Json, input: Json) -> Json:
    """The `cashReceipt` a payment carries while `receipt` is in force."""
    return {
        "type": receipt["type"],
        "amount": input["amount"],
        "taxFreeAmount": input.get("taxFreeAmount") or 0,
        "issueNumber": receipt["approvalNumber"],
        "receiptUrl": receipt["receiptUrl"],
    }


def webhook(payment: Json, status: str) -> Json:
    """The `ITossPaymentWebhook` announcing that `payment` is now `status`."""
    return {
        "eventType": "PAYMENT_STATUS_CHANGED",
        "data": {
            "paymentKey": payment["paymentKey"],
            "orderId": payment["orderId"],
            "status": status,
        },
    }

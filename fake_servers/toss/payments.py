"""Payments: key-in card payments, approval, cancel, virtual accounts and their deposit.

Every function takes a request body already validated against its schema, changes the state
under its lock, and returns a private copy of the resulting object. Failures raise the
original's `HttpError`s.
"""

from __future__ import annotations

from fake_servers.common.http import HttpError

from . import records, transactions
from .records import TRANSFER, VIRTUAL_ACCOUNT, Json
from .state import TossState

CANCELED_STATUSES = ("CANCELED", "PARTIAL_CANCELED")
ALREADY_CANCELED = "Already canceled payment."


def at(state: TossState, payment_key: str) -> Json:
    with state.lock:
        return records.snapshot(state.payments.get(payment_key))


def key_in(state: TossState, input: Json) -> Json:
    """Create a card payment; `__approved: false` leaves it waiting for `approve`."""
    payment = records.card_payment(
        input,
        card_number=input["cardNumber"],
        installment_months=input.get("cardInstallmentPlan") or 0,
        approved=input.get("__approved", True),
        type="NORMAL",
        clock=state.clock,
    )
    with state.lock:
        state.payments.set(payment["paymentKey"], payment)
        if payment["status"] == "DONE":
            transactions.record_approval(state, payment)
        return records.snapshot(payment)


def approve(state: TossState, payment_key: str, input: Json) -> Json:
    """Confirm a payment against its order id and total amount.

    Approving again is allowed and refreshes `approvedAt` (the original's storage test does
    it); a virtual account keeps waiting for its deposit.
    """
    with state.lock:
        payment = state.payments.get(payment_key)
        if payment["orderId"] != input["orderId"]:
            raise HttpError(422, "Wrong orderId")
        if payment["totalAmount"] != input["amount"]:
            raise HttpError(422, "Wrong price.")
        if payment["status"] in CANCELED_STATUSES:
            raise HttpError(422, ALREADY_CANCELED)
        payment["approvedAt"] = state.clock.iso()
        if payment["method"] not in (VIRTUAL_ACCOUNT, TRANSFER):
            payment["status"] = "DONE"
            transactions.record_approval(state, payment)
        return records.snapshot(payment)


def cancel(state: TossState, payment_key: str, input: Json) -> Json:
    """Refund `cancelAmount`, or the whole remaining balance when it is absent."""
    with state.lock:
        payment = state.payments.get(payment_key)
        balance = payment["balanceAmount"]
        amount = input.get("cancelAmount", balance)
        # A zero default amount means the payment is already fully refunded.
        if amount > balance or amount <= 0:
            raise HttpError(422, "Balance amount is not enough.")
        remaining = balance - amount
        status = "CANCELED" if remaining == 0 else "PARTIAL_CANCELED"
        payment["status"] = status
        payment["cancels"] = [
            *(payment["cancels"] or []),
            records.cancel_entry(input, amount, remaining, state.clock),
        ]
        payment["balanceAmount"] = remaining
        entry = payment["cancels"][-1]
        transactions.record(state, payment, status, amount, entry["canceledAt"])
        state.emit(records.webhook(payment, status))
        return records.snapshot(payment)


def create_virtual_account(state: TossState, input: Json) -> Json:
    """Issue a virtual account; the payment waits for `deposit` (`__approved` changes nothing)."""
    payment = records.virtual_account_payment(input, state.clock)
    with state.lock:
        state.payments.set(payment["paymentKey"], payment)
        transactions.record(
            state,
            payment,
            "WAITING_FOR_DEPOSIT",
            payment["totalAmount"],
            payment["requestedAt"],
            key=payment["transactionKey"],
        )
        state.emit(records.webhook(payment, "WAITING_FOR_DEPOSIT"))
        return records.snapshot(payment)


def deposit(state: TossState, payment_key: str) -> Json:
    """Simulate the customer paying into the virtual account (test-only route)."""
    with state.lock:
        payment = state.payments.get(payment_key)
        if payment["method"] != VIRTUAL_ACCOUNT:
            raise HttpError(422, "Invalid target.")
        if payment["status"] in CANCELED_STATUSES:
            raise HttpError(422, ALREADY_CANCELED)
        payment["virtualAccount"]["settlementStatus"] = "COMPLETED"
        payment["approvedAt"] = state.clock.iso()
        payment["status"] = "DONE"
        transactions.record(state, payment, "DONE", payment["totalAmount"], payment["approvedAt"])
        state.emit(records.webhook(payment, "DONE"))
        return records.snapshot(payment)


def receive_webhook(state: TossState, webhook: Json) -> None:
    """Record a webhook that reached the built-in receiver.

    Unlike the original, the receiver leaves the payment's status alone: the routes already set
    the status the webhook reports, and a late delivery would otherwise undo a newer change.
    """
    payment_key = webhook["data"]["paymentKey"]
    with state.lock:
        state.payments.get(payment_key)
        state.received_webhooks.set(payment_key, records.snapshot(webhook))

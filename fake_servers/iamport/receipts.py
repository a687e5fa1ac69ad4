"""Cash receipts for paid payments (`/receipts/:imp_uid`)."""

from __future__ import annotations

from typing import Any

from fake_servers.common.http import HttpError

from . import messages
from .records import Receipt
from .state import State

# Korean VAT as the original computes it: a tenth of the gross amount.
VAT_RATE = 0.1


def issue_receipt(state: State, imp_uid: str, request: dict[str, Any]) -> Receipt:
    """Issue a receipt for the payment; a cancelled receipt may be replaced by a new one."""
    with state.lock:
        payment = state.payments.get(imp_uid)
        if not payment.paid_at:
            raise HttpError(422, messages.NOT_PAID)
        current = state.receipts.find(imp_uid)
        if current is not None and not current.cancelled_at:
            raise HttpError(422, messages.ALREADY_ISSUED)
        receipt = Receipt(
            imp_uid=imp_uid,
            type=request.get("type") or "person",
            amount=payment.amount,
            vat=payment.amount * VAT_RATE,
            applied_at=state.clock.seconds(),
        )
        state.receipts.set(imp_uid, receipt)
        payment.cash_receipt_issue = True
        return receipt


def find_receipt(state: State, imp_uid: str) -> Receipt:
    return state.receipts.get(imp_uid)


def cancel_receipt(state: State, imp_uid: str) -> Receipt:
    with state.lock:
        payment = state.payments.get(imp_uid)
        receipt = state.receipts.get(imp_uid)
        if receipt.cancelled_at:
            raise HttpError(422, messages.ALREADY_CANCELLED)
        receipt.cancelled_at = state.clock.seconds()
        payment.cash_receipt_issue = False
        return receipt

"""Cash receipts issued for a payment, and their cancellation.

Same conventions as `payments`: validated input, state changed under its lock, copies returned.
"""

from __future__ import annotations

from fake_servers.common.http import HttpError

from . import records
from .records import Json
from .state import CashReceipt, TossState


def issue(state: TossState, input: Json) -> Json:
    with state.lock:
        payment = state.payments.get(input["paymentKey"])
        # 404 here but 422 on approval: both are the original's answers.
        if payment["orderId"] != input["orderId"]:
            raise HttpError(404, "Wrong orderId")
        if payment["cashReceipt"] is not None:
            raise HttpError(422, "Duplicated cash receipt exists.")
        if payment["totalAmount"] < input["amount"]:
            raise HttpError(422, "Input amount is greater than its payment.")
        receipt = records.cash_receipt(input, state.clock)
        state.cash_receipts.set(receipt["receiptKey"], CashReceipt(receipt, payment["paymentKey"]))
        payment["cashReceipt"] = records.cash_receipt_summary(receipt, input)
        return records.snapshot(receipt)


def cancel(state: TossState, receipt_key: str) -> Json:
    """Cancel a receipt; its payment stops carrying it. Repeating it stamps a new time."""
    with state.lock:
        entry = state.cash_receipts.get(receipt_key)
        # A receipt whose payment was purged answers 404, like the original.
        payment = state.payments.get(entry.payment_key)
        entry.record["canceledAt"] = state.clock.iso()
        summary = payment["cashReceipt"]
        if summary is not None and summary["issueNumber"] == entry.record["approvalNumber"]:
            payment["cashReceipt"] = None
        return records.snapshot(entry.record)

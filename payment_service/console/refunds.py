"""A refund asked from the console: the API's cancel (`payments.refunds`), made idempotent
against double submission by the form's one-time key, with the same idempotency store as the
API's `Idempotency-Key` (a resubmitted form gets the first outcome, never a second refund)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

from ..db.queries import histories
from ..errors import ServiceError
from ..payments import refunds
from ..payments.idempotency import Attempt, Opened, Stored, key_problem
from ..payments.inputs import NewCancel, Source
from ..runtime import Runtime

ROUTE = "POST /console/payments/refund"


@dataclass(frozen=True)
class Outcome:
    status: int
    message: str
    replayed: bool = False

    @property
    def ok(self) -> bool:
        return self.status == 200


def refund(runtime: Runtime, history_id: str, amount: Decimal, reason: str, key: str) -> Outcome:
    """Refund `amount` of the payment, once per `key`."""
    if key_problem(key) is not None:
        return Outcome(400, "The form has no valid submission key: reload the page.")
    clock = runtime.clock
    with runtime.database.reading() as session:
        row = histories.get(session, history_id)
        if row is None:
            return Outcome(404, "No payment history found.")
        # What the key is bound to: the API binds it to the record a password opened; the
        # console's access is the operator's permission on this record.
        opened = Opened(row.id, row.password)
    keys = runtime.idempotency
    print_ = keys.fingerprint(
        {"payment": history_id, "amount": format(amount, "f"), "reason": reason}
    )
    try:
        begun = keys.begin(ROUTE, key, print_, clock(), opened)
    except ServiceError as error:  # 409 while the first submission runs, 422 another body
        return Outcome(error.status, error.message)
    if isinstance(begun, Stored):
        kept = json.loads(begun.body)
        return Outcome(begun.status, kept["message"], replayed=True)
    request = NewCancel(Source("", "", ""), "", amount, reason, None)
    try:
        view = refunds.cancel_by_operator(runtime, history_id, request, begun)
    except ServiceError as error:
        outcome = Outcome(error.status, error.message)
        if error.final:
            _finish(runtime, begun, outcome, opened)
        else:
            keys.release(begun, clock(), opened)
        return outcome
    except BaseException:
        keys.release(begun, clock(), opened)
        raise
    refunded = view["refund"] or Decimal(0)
    outcome = Outcome(200, f"Refunded {amount} {view['currency']} (in all {refunded}).")
    _finish(runtime, begun, outcome, opened)
    return outcome


def _finish(runtime: Runtime, begun: Attempt, outcome: Outcome, opened: Opened) -> None:
    body = json.dumps({"message": outcome.message}).encode()
    answer = Stored(outcome.status, "application/json", body)
    runtime.idempotency.finish(begun, answer, runtime.clock(), opened)

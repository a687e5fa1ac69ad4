"""A refund asked from the console: the API's cancel (`payments.refunds`), made idempotent
against double submission by the form's one-time key, with the same idempotency store as the
API's `Idempotency-Key` (a resubmitted form gets the first outcome, never a second refund)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

from ..errors import ServiceError
from ..payments import refunds
from ..payments.idempotency import Attempt, Stored, fingerprint, key_problem
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
    print_ = fingerprint({"payment": history_id, "amount": format(amount, "f"), "reason": reason})
    try:
        begun = runtime.idempotency.begin(ROUTE, key, print_, clock())
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
            _finish(runtime, begun, outcome)
        else:
            runtime.idempotency.release(begun, clock())
        return outcome
    except BaseException:
        runtime.idempotency.release(begun, clock())
        raise
    refunded = view["refund"] or Decimal(0)
    outcome = Outcome(200, f"Refunded {amount} {view['currency']} (in all {refunded}).")
    _finish(runtime, begun, outcome)
    return outcome


def _finish(runtime: Runtime, begun: Attempt, outcome: Outcome) -> None:
    body = json.dumps({"message": outcome.message}).encode()
    runtime.idempotency.finish(
        begun, Stored(outcome.status, "application/json", body), runtime.clock()
    )

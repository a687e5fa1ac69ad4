"""Refunds (docs/payment-api.md §4.5), shaped so that no transaction waits on the gateway:

1. read the payment's password hash (a read that takes no lock) and check the password
   outside any transaction;
2. *reserve*, in a short transaction: check the refundable remainder — the price minus what
   is refunded and what other requests have reserved — and record this refund as pending;
3. ask the gateway, outside any transaction, within the gateway deadline;
4. *record* the gateway's answer in a short transaction, removing the reservation.

A refused or failed call releases its reservation. A call whose outcome is unknown (504) keeps
it, marked as expired: the next refund, gateway webhook or settler pass re-fetches the payment
and records what the gateway says happened. A reservation is never guessed away, so concurrent
refunds can never add up to more than the price.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from ..db import PaymentHistory, PaymentHistoryPendingRefund
from ..db.queries import histories, pending_refunds, records
from ..errors import Conflict, InvalidInput, Unprocessable
from ..runtime import Runtime
from ..vendors import GatewayTimeout, Refund
from . import access, bounds
from .idempotency import Attempt
from .inputs import NewCancel
from .sync import record

log = logging.getLogger(__name__)

WHAT = "payment history"
# Beyond the gateway deadline (a vendor may make two calls, e.g. a token then the refund),
# after which a reservation whose process died counts as unknown.
IN_FLIGHT_MARGIN = timedelta(seconds=5)


@dataclass(frozen=True)
class Reservation:
    id: str
    history_id: str
    vendor_code: str
    store_id: str
    uid: str
    order_id: str
    baseline: int
    """How many of the gateway's refunds were recorded when this one was reserved."""


class MustSettle(Exception):
    """The payment has refunds of unknown outcome: re-fetch it before deciding anything."""


def cancel(runtime: Runtime, request: NewCancel, attempt: Attempt | None = None) -> dict[str, Any]:
    """Refund `request.price`. With an idempotency `attempt` that resumes an earlier one of
    unknown outcome, first find out from the gateway whether that one refunded already."""
    with runtime.database.reading() as session:
        row = records.by_source(session, PaymentHistory, request.source)
        found = (row.id, row.password) if row is not None else None
        past_due = row is not None and row.due_at is not None and row.due_at <= runtime.clock()
    access.verify(
        request.password, found[1] if found else None, WHAT, record_id=found[0] if found else ""
    )
    assert found is not None
    history_id, hashed = found
    if past_due:
        # In doubt (awaited past its due date: paid or expired meanwhile?): ask the gateway
        # first, as the janitor would, so the refund is decided on the payment as it is now.
        settle(runtime, history_id)
    if attempt is not None and attempt.resumed and attempt.context:
        done = _refunded_by_earlier_attempt(runtime, history_id, attempt.context)
        if done is not None:
            return done
    try:
        reservation = _reserve(runtime, history_id, hashed, request.price)
    except MustSettle:
        settle(runtime, history_id)
        reservation = _reserve(runtime, history_id, hashed, request.price, settled=True)
    if attempt is not None:
        try:
            # What a retry needs to tell whether this refund happened, kept before asking.
            runtime.idempotency.note(
                attempt,
                {"baseline": reservation.baseline, "amount": format(request.price, "f")},
            )
        except BaseException:
            _release(runtime, reservation)
            raise
    started = runtime.clock()
    try:
        vendor = runtime.vendors.get(reservation.vendor_code)
        refund = Refund(reservation.order_id, request.price, request.reason, request.account)
        payment = vendor.cancel(reservation.store_id, reservation.uid, refund)
    except GatewayTimeout:
        _mark_unknown(runtime, reservation)
        raise
    except BaseException:
        _release(runtime, reservation)
        raise
    event = {"type": "cancel", "price": request.price, "reason": request.reason}
    return record(
        runtime,
        history_id,
        vendor,
        payment,
        event,
        fetched_at=started,
        reservation_id=reservation.id,
    ).view


def _reserve(
    runtime: Runtime, history_id: str, hashed: str, amount: Decimal, *, settled: bool = False
) -> Reservation:
    now = runtime.clock()
    with runtime.database.transaction() as session:
        row = histories.locked(session, history_id)
        if row is None or row.password != hashed:
            # Gone, or re-keyed since the password was checked: check it again.
            raise Conflict("The payment changed while the request was checked; send it again.")
        places = bounds.currency_decimals(row.currency)
        if bounds.decimals(amount) > places:
            # More decimals than the payment's currency has (KRW: none): a bad input, refused
            # before anything is reserved or asked of the gateway.
            expected = f"(number & MultipleOf<{Decimal(1).scaleb(-places)}>)"
            raise InvalidInput("$input.price", expected, amount)
        others = pending_refunds.of_payment(session, history_id)
        # Summed here, exactly: SQLite keeps amounts as text, and its SUM() is a float.
        reserved = sum((amount for amount, _ in others), Decimal(0))
        if any(expires_at <= now for _, expires_at in others):
            if not settled:
                raise MustSettle()
            # Settled a moment ago, yet unknown again: another refund timed out meanwhile.
            raise Conflict("A refund of this payment has an unknown outcome; send it again.")
        refundable = row.price - (row.refund or 0) - reserved
        if amount > refundable:
            in_flight = f" ({reserved} more is being refunded right now)" if reserved else ""
            raise Unprocessable(
                f"The cancel amount {amount} exceeds the refundable remainder {refundable} of "
                f"this payment{in_flight}."
            )
        deadline = timedelta(seconds=2 * runtime.settings.vendor_timeout_s) + IN_FLIGHT_MARGIN
        reservation = PaymentHistoryPendingRefund(
            payment_history_id=history_id, amount=amount, created_at=now, expires_at=now + deadline
        )
        session.add(reservation)
        session.flush()
        return Reservation(
            reservation.id,
            history_id,
            row.vendor_code,
            row.vendor_store_id,
            row.vendor_uid,
            row.source_id,
            baseline=len(row.cancels),
        )


def _refunded_by_earlier_attempt(
    runtime: Runtime, history_id: str, context: dict[str, Any]
) -> dict[str, Any] | None:
    """The payment as the gateway has it now if the earlier attempt's refund happened, else
    None. The gateway's list of refunds is append-only: a refund of the attempt's amount at
    or after the position the attempt noted is taken as its refund (when in doubt, refunding
    less is the safe side: the caller sees the refunds in the answer)."""
    view = settle(runtime, history_id)
    amount = Decimal(context["amount"])
    with runtime.database.reading() as session:
        later = histories.cancel_amounts_since(session, history_id, context["baseline"])
    return view if amount in later else None


def _release(runtime: Runtime, reservation: Reservation) -> None:
    """The gateway refused or failed before acting: the amount is refundable again."""
    try:
        with runtime.database.transaction() as session:
            pending_refunds.release(session, reservation.id)
    except Exception:
        # It expires and is settled from the gateway's truth instead.
        log.exception("could not release pending refund %s", reservation.id)


def _mark_unknown(runtime: Runtime, reservation: Reservation) -> None:
    """The outcome is unknown: make the reservation due for settlement now."""
    try:
        with runtime.database.transaction() as session:
            pending_refunds.mark_unknown(session, reservation.id, runtime.clock())
    except Exception:
        log.exception("could not mark pending refund %s as unknown", reservation.id)


def settle(runtime: Runtime, history_id: str) -> dict[str, Any]:
    """Re-fetch a payment from the gateway and record it, settling every refund whose outcome
    was unknown when the fetch began."""
    with runtime.database.reading() as session:
        row = histories.get(session, history_id)
        if row is None:
            raise Conflict("The payment disappeared; send the request again.")
        vendor_code, store_id, uid = row.vendor_code, row.vendor_store_id, row.vendor_uid
    vendor = runtime.vendors.get(vendor_code)
    fetched_at = runtime.clock()
    payment = vendor.fetch_payment(store_id, uid)
    return record(
        runtime, history_id, vendor, payment, {"type": "sync"}, fetched_at=fetched_at
    ).view


def unsettled(runtime: Runtime, limit: int = 100) -> list[str]:
    """Payments that have refunds of unknown outcome."""
    with runtime.database.reading() as session:
        return pending_refunds.unsettled(session, runtime.clock(), limit)


def settle_all(runtime: Runtime) -> int:
    """Settle every payment with refunds of unknown outcome; return how many were settled."""
    done = 0
    for history_id in unsettled(runtime):
        try:
            settle(runtime, history_id)
            done += 1
        except Exception as error:
            log.warning("settling refunds of payment %s failed: %s", history_id, error)
    return done

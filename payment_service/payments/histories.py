"""Payment histories: create (approve at the gateway), look up, cancel (spec §4.2-4.5).

Creating a history is a three-step saga, so that no gateway payment is ever left without a
record and no duplicate reaches the gateway:

1. *claim*: a row with `confirmed_at` NULL reserves the source and the vendor uid; a
   duplicate fails here with 409, before the gateway is asked anything;
2. *approve* at the gateway (outside any transaction);
3. *confirm*: store the gateway's record in the claimed row.

If step 2 fails, the claim is released. If its outcome is unknown (a timeout), the claim stays
so that the same request can be retried and finish the job. If step 3 fails, the gateway
payment is cancelled, and the error says so.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from ..crypto import hash_password
from ..db import PaymentHistory
from ..errors import Conflict, InvalidInput, ServiceError, Unprocessable
from ..runtime import Runtime
from ..vendors import GatewayTimeout, Vendor
from . import access, bounds
from .inputs import NewCancel, NewHistory, Source
from .sync import apply_summary
from .views import history_view

log = logging.getLogger(__name__)

WHAT = "payment history"
# A claim older than this belongs to a request that died; a retry of the same request may take
# it over. Kept well above any gateway timeout so two live requests never share a claim.
CLAIM_TIMEOUT = timedelta(minutes=2)
COMPENSATION_REASON = "payment-service could not record the payment"


def create(runtime: Runtime, new: NewHistory) -> dict[str, Any]:
    vendor = runtime.vendors.get(new.vendor.code)
    claim_id = _claim(runtime, new)
    try:
        payment = vendor.approve(
            new.vendor.store_id, new.vendor.uid, order_id=new.source.id, amount=new.price
        )
        summary = vendor.summarize(payment)
    except GatewayTimeout:
        # The approval may have happened: keep the claim so a retry can complete it.
        raise
    except BaseException:
        _release_quietly(runtime, claim_id)
        raise
    try:
        with runtime.database.transaction() as session:
            row = session.get(PaymentHistory, claim_id, with_for_update=True)
            if row is None:
                raise ServiceError("the claimed payment history disappeared")
            apply_summary(row, summary, payment, runtime.settings.keys)
            row.confirmed_at = runtime.clock()
            session.flush()
            return history_view(row, runtime.settings.keys.history)
    except Exception as error:
        raise _compensate(runtime, vendor, new, claim_id, error) from error


def _claim(runtime: Runtime, new: NewHistory) -> str:
    now = runtime.clock()
    with runtime.database.transaction() as session:
        existing = access.conflicting(
            session, PaymentHistory, new.source, new.vendor.code, new.vendor.uid
        )
        for row in existing:
            if _is_abandoned_claim_of(row, new, now):
                row.created_at = now
                row.password = hash_password(new.password)
                row.webhook_url = new.webhook_url
                return row.id
        if existing:
            raise _duplicate(existing[0], new)
        row = PaymentHistory(
            source_schema=new.source.schema,
            source_table=new.source.table,
            source_id=new.source.id,
            vendor_code=new.vendor.code,
            vendor_uid=new.vendor.uid,
            vendor_store_id=new.vendor.store_id,
            currency="",
            price=new.price,
            refund=0,
            webhook_url=new.webhook_url,
            data=runtime.settings.keys.history.encrypt_json(None),
            password=hash_password(new.password),
            created_at=now,
        )
        session.add(row)
        try:
            session.flush()
        except IntegrityError:
            # Another request claimed the same keys between our read and our insert.
            raise Conflict(
                "A payment history with the same source or vendor uid already exists."
            ) from None
        return row.id


def _is_abandoned_claim_of(row: PaymentHistory, new: NewHistory, now: Any) -> bool:
    same_request = access.same_source(row, new.source) and (row.vendor_code, row.vendor_uid) == (
        new.vendor.code,
        new.vendor.uid,
    )
    return same_request and row.confirmed_at is None and row.created_at <= now - CLAIM_TIMEOUT


def _duplicate(row: PaymentHistory, new: NewHistory) -> Conflict:
    if row.confirmed_at is None:
        return Conflict("A request to register this payment is already in progress.")
    if access.same_source(row, new.source):
        return Conflict("A payment history already exists for this source (schema, table, id).")
    return Conflict("A payment history already exists for this vendor uid.")


def _release(runtime: Runtime, claim_id: str) -> None:
    with runtime.database.transaction() as session:
        session.execute(
            delete(PaymentHistory).where(
                PaymentHistory.id == claim_id, PaymentHistory.confirmed_at.is_(None)
            )
        )


def _release_quietly(runtime: Runtime, claim_id: str) -> None:
    """Release a claim; if even that fails, the claim expires and a retry takes it over."""
    try:
        _release(runtime, claim_id)
    except Exception:
        log.exception("could not release claim %s", claim_id)


def _compensate(
    runtime: Runtime, vendor: Vendor, new: NewHistory, claim_id: str, error: Exception
) -> ServiceError:
    """The gateway approved but we could not record it: cancel at the gateway and say so."""
    log.error("could not record approved payment %s/%s: %r", vendor.code, new.vendor.uid, error)
    try:
        vendor.cancel(
            new.vendor.store_id,
            new.vendor.uid,
            order_id=new.source.id,
            amount=new.price,
            reason=COMPENSATION_REASON,
            account=None,
        )
    except Exception as cancel_error:
        log.critical(
            "payment %s/%s is approved at the gateway, not recorded, and not cancelled: %r",
            vendor.code,
            new.vendor.uid,
            cancel_error,
        )
        return ServiceError(
            "The payment was approved at the gateway but could not be recorded, and cancelling "
            "it failed too. Retry the same request to record it.",
            status=500,
            vendor_uid=new.vendor.uid,
            recorded=False,
            cancelled=False,
        )
    _release_quietly(runtime, claim_id)
    return ServiceError(
        "The payment could not be recorded, so it was cancelled at the gateway.",
        status=503,
        vendor_uid=new.vendor.uid,
        recorded=False,
        cancelled=True,
    )


def get_by_source(runtime: Runtime, source: Source, password: str) -> dict[str, Any]:
    with runtime.database.transaction() as session:
        row = access.unlock(access.by_source(session, PaymentHistory, source), password, WHAT)
        return history_view(row, runtime.settings.keys.history)


def get_by_id(runtime: Runtime, id: str, password: str) -> dict[str, Any]:
    with runtime.database.transaction() as session:
        row = access.unlock(access.by_id(session, PaymentHistory, id), password, WHAT)
        return history_view(row, runtime.settings.keys.history)


def cancel(runtime: Runtime, request: NewCancel) -> dict[str, Any]:
    """Refund part or all of a payment at the gateway, then record the gateway's new state.

    The history row stays locked from the check to the record, so concurrent cancels of one
    payment run one after the other and can never refund more than was paid.
    """
    from ..delivery.outbox import enqueue

    keys = runtime.settings.keys
    with runtime.database.transaction() as session:
        row = access.unlock(
            access.by_source(session, PaymentHistory, request.source, lock=True),
            request.password,
            WHAT,
        )
        places = bounds.currency_decimals(row.currency)
        if bounds.decimals(request.price) > places:
            raise InvalidInput(
                "$input.price",
                f"(number & MultipleOf<{Decimal(1).scaleb(-places)}>)",
                request.price,
            )
        refundable = row.price - (row.refund or 0)
        if request.price > refundable:
            raise Unprocessable(
                f"The cancel amount {request.price} exceeds the refundable remainder "
                f"{refundable} of this payment."
            )
        vendor = runtime.vendors.get(row.vendor_code)
        previous = history_view(row, keys.history)
        payment = vendor.cancel(
            row.vendor_store_id,
            row.vendor_uid,
            order_id=row.source_id,
            amount=request.price,
            reason=request.reason,
            account=request.account,
        )
        apply_summary(row, vendor.summarize(payment), payment, keys)
        session.flush()
        current = history_view(row, keys.history)
        if current != previous:
            event = {"type": "cancel", "price": request.price, "reason": request.reason}
            enqueue(session, row, previous, current, event, runtime.settings, runtime.clock())
    runtime.outbox_written()
    return current

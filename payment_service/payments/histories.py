"""Payment histories: create (approve at the gateway), look up, cancel.

The flows of docs/payment-api.md §4.2-4.5.

Creating a history is a three-step saga, so that no gateway payment is ever left without a
record and no duplicate reaches the gateway:

1. *claim*: a row of the claims table reserves the source and the vendor uid; a duplicate
   fails here with 409, before the gateway is asked anything;
2. *approve* at the gateway (outside any transaction);
3. *confirm*: replace the claim by the payment history, with the gateway's record.

If step 2 fails, the claim is released. If its outcome is unknown (a timeout), the claim stays
so that the same request can be retried and finish the job — by its owner only: taking over a
kept claim needs the password it was made with, checked through `security.passwords` like any
other (anyone else gets 409, counted by the throttle). If step 3 fails, the
gateway payment is cancelled, and the error says so.

Passwords are hashed and checked (bcrypt) outside every transaction. Refunds: `refunds.py`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from ..crypto import hash_password
from ..db import PaymentHistory, PaymentHistoryClaim
from ..db.models import new_id
from ..db.places import place_of
from ..db.queries import approval_failures, claims, records
from ..db.queries import histories as stored
from ..db.queries.records import Holder
from ..delivery.outbox import enqueue
from ..errors import Conflict, ServiceError
from ..runtime import Runtime
from ..security import passwords
from ..vendors import GatewayTimeout, Refund, Vendor
from . import access, refunds
from .idempotency import Attempt
from .inputs import NewCancel, NewHistory
from .sync import apply_summary
from .views import history_view

log = logging.getLogger(__name__)

WHAT = "payment history"
# A claim older than this belongs to a request that died; a retry of the same request may take
# it over. Kept well above any gateway timeout so two live requests never share a claim.
CLAIM_TIMEOUT = timedelta(minutes=2)
COMPENSATION_REASON = "payment-service could not record the payment"
IN_PROGRESS = "A request to register this payment is already in progress."


def create(runtime: Runtime, new: NewHistory, *, resume: bool = False) -> dict[str, Any]:
    """Approve and record a payment. `resume`: this exact request (same idempotency key and
    body) ran before and its outcome is unknown, so its claim may be taken over at once."""
    vendor = runtime.vendors.get(new.vendor.code)

    def approve(taken_over: bool) -> tuple[str, dict[str, Any]]:
        # Approving is safe to repeat (the vendor interface requires it), taken over or not.
        payment = vendor.approve(
            new.vendor.store_id, new.vendor.uid, order_id=new.source.id, amount=new.price
        )
        return new.vendor.uid, payment

    return record_gateway_payment(runtime, vendor, new, approve, resume=resume)


# What the gateway is asked between the claim and the confirmation: given whether the claim was
# taken over from an earlier attempt of unknown outcome, the payment's uid and its record.
GatewayStep = Callable[[bool], tuple[str, dict[str, Any]]]


def record_gateway_payment(
    runtime: Runtime,
    vendor: Vendor,
    new: NewHistory,
    gateway: GatewayStep,
    *,
    resume: bool = False,
    event: dict[str, Any] | None = None,
    unknown_outcome: Callable[[BaseException], bool] | None = None,
    on_recorded: Callable[[Session, PaymentHistory], None] | None = None,
) -> dict[str, Any]:
    """The saga of the module's docstring for any payment the gateway makes: claim `new`'s
    source and vendor uid, run `gateway`, then record its payment under the uid it returns.

    `event`: also report the new payment to its `webhook_url` (through the outbox, in the
    recording transaction), as this event, with `previous` the payment before it was paid.
    `unknown_outcome`: which failures of `gateway` may have left a payment at the gateway, so
    that the claim is kept for a retry to settle (by default a timeout only). `on_recorded`:
    what else to write in the transaction that records the payment (e.g. the schedule period
    it pays), so both are stored or neither.
    """
    claim_id, taken_over = _claim(runtime, new, resume)
    try:
        uid, payment = gateway(taken_over)
        summary = vendor.summarize(payment)
    except BaseException as error:
        unknown = unknown_outcome(error) if unknown_outcome else isinstance(error, GatewayTimeout)
        if not unknown:
            _release_quietly(runtime, claim_id)
        # Else the gateway may have acted: the claim stays so a retry can complete it.
        if isinstance(error, ServiceError):
            _count_failure(runtime, vendor.code, error)
        raise
    webhook_id: str | None = None
    try:
        now = runtime.clock()
        row = PaymentHistory(id=claim_id, vendor_uid=uid, confirmed_at=now, synced_at=now)
        row.cancels = []  # a new payment: nothing to load
        apply_summary(row, summary, payment, runtime.settings.keys)
        if event is None and on_recorded is None and not row.cancels:
            # A plain approval: one statement (without BEGIN and COMMIT, on PostgreSQL).
            with runtime.database.one_statement() as connection:
                claim = claims.record(connection, row)
        else:
            with runtime.database.transaction() as session:
                claim = claims.record(session, row)
                if claim is not None:
                    webhook_id = _write_with_payment(
                        runtime, session, row, claim, payment, event, on_recorded
                    )
        if claim is None:
            # A retry of this same request took the claim over after it had aged (this one
            # outlived CLAIM_TIMEOUT) and recorded the payment: it is ours, not a payment to
            # cancel.
            with runtime.database.transaction() as session:
                recorded = stored.get(session, claim_id)
                if recorded is None:
                    raise ServiceError("the claimed payment history disappeared")
                if on_recorded is not None:
                    on_recorded(session, recorded)
                return history_view(recorded, runtime.settings.keys.history)
        view = history_view(row, runtime.settings.keys.history, payment)
    except Exception as error:
        raise _compensate(runtime, vendor, new, uid, claim_id, error) from error
    if webhook_id is not None:
        runtime.outbox_written()
    return view


def _write_with_payment(
    runtime: Runtime,
    session: Session,
    row: PaymentHistory,
    claim: dict[str, Any],
    payment: dict[str, Any],
    event: dict[str, Any] | None,
    on_recorded: Callable[[Session, PaymentHistory], None] | None,
) -> str | None:
    """What the transaction that records `row` (from `claim`, with the gateway's `payment`)
    writes besides: the refunds the gateway already lists, `on_recorded`'s rows, and the
    webhook of `event` (its id)."""
    for cancel in row.cancels:
        cancel.payment_history_id = row.id
        session.add(cancel)
    if on_recorded is not None:
        on_recorded(session, row)
    if event is None:
        return None
    keys = runtime.settings.keys
    # The payment before the gateway's answer: the claim, under the uid the gateway gave.
    before = claims.as_payment({**claim, "vendor_uid": row.vendor_uid}, row.confirmed_at)
    view = history_view(row, keys.history, payment)  # not decrypted: it was just encrypted
    webhook = enqueue(
        session,
        row,
        history_view(before, keys.history),
        view,
        event,
        runtime.settings,
        row.confirmed_at,
    )
    session.flush()
    return webhook.id


@dataclass(frozen=True)
class _KeptClaim:
    """An abandoned claim of the same source and vendor uid, and the hash it was made with."""

    id: str
    password: str
    created_at: datetime


def _claim(runtime: Runtime, new: NewHistory, resume: bool) -> tuple[str, bool]:
    """The claim's id, and whether it was taken over from an earlier attempt."""
    given = new.password_hash
    hashed = given or hash_password(new.password)  # bcrypt, before any transaction
    claimed = _insert_claim(runtime, new, hashed, resume)
    if isinstance(claimed, str):
        if not given:
            passwords.created(claimed, hashed, new.password)
        return claimed, False
    # Only the owner may resume it: the same password, checked outside the transaction and
    # like every password check (the verified-credential cache, then the throttle: counted for
    # the client and the claim, 429 past the limit), since a takeover also decides where the
    # payment's webhooks go from now on; for the server's own charges (a schedule's, which hold
    # no password), the same hash.
    if given:
        owner = claimed.password == given
    else:
        owner = passwords.verify(claimed.id, claimed.password, new.password)
    if not owner:
        raise Conflict(IN_PROGRESS)
    with runtime.database.transaction() as session:
        row = claims.locked(session, claimed.id)
        if row is None and stored.get(session, claimed.id) is not None:
            # Recorded meanwhile from the gateway's answer (by the janitor, or another retry of
            # this request): `create` goes on, finds the payment recorded and answers it (a
            # charge, taken over, looks its order up at the gateway and never charges again).
            return claimed.id, True
        unchanged = (
            row is not None
            and row.password == claimed.password
            and row.created_at == claimed.created_at
        )
        if not unchanged:
            # Resumed or released by another request since we looked.
            raise Conflict(IN_PROGRESS)
        assert row is not None
        row.created_at = runtime.clock()
        # The owner's request names the webhook_url to use from now on.
        row.webhook_url = new.webhook_url
        return row.id, True


def _insert_claim(runtime: Runtime, new: NewHistory, hashed: str, resume: bool) -> str | _KeptClaim:
    """Claim the source and vendor uid (the new row's id), or find an abandoned claim of the
    same request to resume; 409 for any other holder."""
    now = runtime.clock()
    code, uid = new.vendor.code, new.vendor.uid
    claim_id = new_id()
    values = {
        "id": claim_id,
        "source_schema": new.source.schema,
        "source_table": new.source.table,
        "source_id": new.source.id,
        "vendor_code": code,
        "vendor_uid": uid,
        "vendor_store_id": new.vendor.store_id,
        "price": new.price,
        "webhook_url": new.webhook_url,
        "password": hashed,
        "created_at": now,
        # Bound as its payment's (the claim becomes it under the same id).
        "data": runtime.settings.keys.history.encrypt_json(
            None, place_of(PaymentHistoryClaim.__tablename__, "data", claim_id)
        ),
    }
    with runtime.database.transaction() as session:
        # Inserted first, looked at only if that fails: the usual request holds nothing.
        inserted = claims.insert_new(session, values)
        if not inserted:
            held = records.conflicting(session, PaymentHistoryClaim, new.source, code, uid)
            for claim in held:
                if _is_abandoned_claim_of(claim, new, now, resume):
                    return _KeptClaim(claim.id, claim.password, claim.created_at)
            if held:
                raise Conflict(IN_PROGRESS)
        # Looked for only now that the claim is in (or was in the way): a request recording
        # these keys right now (deleting its claim) has committed once our insert got past
        # its claim, so its history is visible here (READ COMMITTED reads afresh per
        # statement; SQLite's write transactions run one at a time anyway).
        recorded = records.conflicting(session, PaymentHistory, new.source, code, uid)
        if recorded:
            raise _duplicate(recorded[0], new)  # rolls the claim back
        if not inserted:
            # The claim in the way is gone already, released by its failed request: a retry
            # of this one may take the keys.
            raise Conflict(IN_PROGRESS)
        return claim_id


def _is_abandoned_claim_of(claim: Holder, new: NewHistory, now: Any, resume: bool) -> bool:
    same_request = access.same_source(claim, new.source) and (
        claim.vendor_code,
        claim.vendor_uid,
    ) == (new.vendor.code, new.vendor.uid)
    return same_request and (resume or claim.created_at <= now - CLAIM_TIMEOUT)


def _duplicate(row: Holder, new: NewHistory) -> Conflict:
    if access.same_source(row, new.source):
        return Conflict("A payment history already exists for this source (schema, table, id).")
    return Conflict("A payment history already exists for this vendor uid.")


def _release(runtime: Runtime, claim_id: str) -> None:
    with runtime.database.transaction() as session:
        claims.release(session, claim_id)


def _count_failure(runtime: Runtime, vendor_code: str, error: ServiceError) -> None:
    """Keep a trace of a refused approval or charge for the console (nothing else stores
    one); losing the trace must not change the answer, so a failure to write it is logged."""
    reason = getattr(error, "code", None) or type(error).__name__
    try:
        with runtime.database.transaction() as session:
            approval_failures.add(session, vendor_code, str(reason), runtime.clock())
    except Exception:
        log.exception("could not count the refused approval at %s", vendor_code)


def _release_quietly(runtime: Runtime, claim_id: str) -> None:
    """Release a claim; if even that fails, the claim expires and a retry takes it over."""
    try:
        _release(runtime, claim_id)
    except Exception:
        log.exception("could not release claim %s", claim_id)


def _compensate(
    runtime: Runtime, vendor: Vendor, new: NewHistory, uid: str, claim_id: str, error: Exception
) -> ServiceError:
    """The gateway approved but we could not record it: cancel at the gateway and say so."""
    log.error("could not record approved payment %s/%s: %r", vendor.code, uid, error)
    try:
        refund = Refund(new.source.id, new.price, COMPENSATION_REASON)
        vendor.cancel(new.vendor.store_id, uid, refund)
    except Exception as cancel_error:
        log.critical(
            "payment %s/%s is approved at the gateway, not recorded, and not cancelled: %r",
            vendor.code,
            uid,
            cancel_error,
        )
        return ServiceError(
            "The payment was approved at the gateway but could not be recorded, and cancelling "
            "it failed too. Retry the same request to record it.",
            status=500,
            vendor_uid=uid,
            recorded=False,
            cancelled=False,
        )
    _release_quietly(runtime, claim_id)
    return ServiceError(
        "The payment could not be recorded, so it was cancelled at the gateway.",
        status=503,
        final=True,
        vendor_uid=uid,
        recorded=False,
        cancelled=True,
    )


_LOOK_UPS = access.LookUps(PaymentHistory, WHAT, history_view, "history")
get_by_source = _LOOK_UPS.by_source
get_by_id = _LOOK_UPS.by_id


def cancel(runtime: Runtime, request: NewCancel, attempt: Attempt | None = None) -> dict[str, Any]:
    """Refund part or all of a payment (see `refunds.py`)."""
    return refunds.cancel(runtime, request, attempt)

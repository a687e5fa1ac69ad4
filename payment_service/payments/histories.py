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
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError

from ..crypto import hash_password
from ..db import PaymentHistory, PaymentHistoryClaim
from ..db.models import new_id
from ..db.places import place
from ..db.queries import claims, records
from ..db.queries import histories as stored
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
    claim_id = _claim(runtime, new, resume)
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
            claim = claims.locked(session, claim_id)
            if claim is None:
                # A retry of this same request took the claim over after it had aged (this
                # one outlived CLAIM_TIMEOUT) and recorded the payment: it is ours, not a
                # payment to cancel.
                recorded = stored.get(session, claim_id)
                if recorded is not None:
                    return history_view(recorded, runtime.settings.keys.history)
                raise ServiceError("the claimed payment history disappeared")
            row = claims.confirm(session, claim, runtime.clock())
            apply_summary(row, summary, payment, runtime.settings.keys)
            row.synced_at = row.confirmed_at
            session.flush()
            return history_view(row, runtime.settings.keys.history)
    except Exception as error:
        raise _compensate(runtime, vendor, new, claim_id, error) from error


@dataclass(frozen=True)
class _KeptClaim:
    """An abandoned claim of the same source and vendor uid, and the hash it was made with."""

    id: str
    password: str
    created_at: datetime


def _claim(runtime: Runtime, new: NewHistory, resume: bool) -> str:
    hashed = hash_password(new.password)  # bcrypt, before any transaction
    claimed = _insert_claim(runtime, new, hashed, resume)
    if isinstance(claimed, str):
        passwords.created(claimed, hashed, new.password)
        return claimed
    # Only the owner may resume it: the same password, checked outside the transaction and
    # like every password check (the verified-credential cache, then the throttle: counted for
    # the client and the claim, 429 past the limit), since a takeover also decides where the
    # payment's webhooks go from now on.
    if not passwords.verify(claimed.id, claimed.password, new.password):
        raise Conflict(IN_PROGRESS)
    with runtime.database.transaction() as session:
        row = claims.locked(session, claimed.id)
        if row is None and stored.get(session, claimed.id) is not None:
            # Recorded meanwhile from the gateway's answer (by the janitor, or another retry of
            # this request): `create` goes on, finds the payment recorded and answers it.
            return claimed.id
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
        return row.id


def _insert_claim(runtime: Runtime, new: NewHistory, hashed: str, resume: bool) -> str | _KeptClaim:
    """Claim the source and vendor uid (the new row's id), or find an abandoned claim of the
    same request to resume; 409 for any other holder."""
    now = runtime.clock()
    code, uid = new.vendor.code, new.vendor.uid
    with runtime.database.transaction() as session:
        held = records.conflicting(session, PaymentHistoryClaim, new.source, code, uid)
        for claim in held:
            if _is_abandoned_claim_of(claim, new, now, resume):
                return _KeptClaim(claim.id, claim.password, claim.created_at)
        if held:
            raise Conflict(IN_PROGRESS)
        claim = PaymentHistoryClaim(
            id=new_id(),
            source_schema=new.source.schema,
            source_table=new.source.table,
            source_id=new.source.id,
            vendor_code=code,
            vendor_uid=uid,
            vendor_store_id=new.vendor.store_id,
            price=new.price,
            webhook_url=new.webhook_url,
            password=hashed,
            created_at=now,
        )
        # Bound as its payment's (the claim becomes it under the same id).
        claim.data = runtime.settings.keys.history.encrypt_json(None, place(claim, "data"))
        session.add(claim)
        try:
            session.flush()
        except IntegrityError:
            # Another request claimed the same keys between our read and our insert.
            raise Conflict(
                "A payment history with the same source or vendor uid already exists."
            ) from None
        # Looked for only now that the claim is in: a request recording these keys right now
        # (deleting its claim) has committed once our insert got past its claim, so its
        # history is visible here (READ COMMITTED reads afresh per statement; SQLite's write
        # transactions run one at a time anyway).
        recorded = records.conflicting(session, PaymentHistory, new.source, code, uid)
        if recorded:
            raise _duplicate(recorded[0], new)  # rolls the claim back
        return claim.id


def _is_abandoned_claim_of(
    claim: PaymentHistoryClaim, new: NewHistory, now: Any, resume: bool
) -> bool:
    same_request = access.same_source(claim, new.source) and (
        claim.vendor_code,
        claim.vendor_uid,
    ) == (new.vendor.code, new.vendor.uid)
    return same_request and (resume or claim.created_at <= now - CLAIM_TIMEOUT)


def _duplicate(row: PaymentHistory, new: NewHistory) -> Conflict:
    if access.same_source(row, new.source):
        return Conflict("A payment history already exists for this source (schema, table, id).")
    return Conflict("A payment history already exists for this vendor uid.")


def _release(runtime: Runtime, claim_id: str) -> None:
    with runtime.database.transaction() as session:
        claims.release(session, claim_id)


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
        refund = Refund(new.source.id, new.price, COMPENSATION_REASON)
        vendor.cancel(new.vendor.store_id, new.vendor.uid, refund)
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
        final=True,
        vendor_uid=new.vendor.uid,
        recorded=False,
        cancelled=True,
    )


_LOOK_UPS = access.LookUps(PaymentHistory, WHAT, history_view, "history")
get_by_source = _LOOK_UPS.by_source
get_by_id = _LOOK_UPS.by_id


def cancel(runtime: Runtime, request: NewCancel, attempt: Attempt | None = None) -> dict[str, Any]:
    """Refund part or all of a payment (see `refunds.py`)."""
    return refunds.cancel(runtime, request, attempt)

"""Claims (`PaymentHistoryClaim`): registrations in flight, each holding a source and a uid."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, exists, select
from sqlalchemy.orm import Session

from ..models import PaymentHistory, PaymentHistoryClaim
from . import inserts

# The vendor uid a claim of a saved-card charge holds until the gateway names the payment
# (`payments.charges`): the gateway knows such a charge by its order, not by this uid.
CHARGE_PREFIX = "charge:"
# Uids per `IN (…)` list (SQLite allows 32766 bound parameters, PostgreSQL 65535).
CHUNK = 500
CLAIM_COLUMNS = PaymentHistoryClaim.__table__.columns


def held(session: Session, code: str, uid: str) -> bool:
    """Whether a registration of this vendor uid is in flight."""
    query = select(PaymentHistoryClaim.id).where(
        PaymentHistoryClaim.vendor_code == code, PaymentHistoryClaim.vendor_uid == uid
    )
    return session.scalar(query) is not None


def insert_new(session: Session, values: dict[str, Any]) -> bool:
    """Insert a claim (every column in `values`); False, changing nothing, when its source or
    vendor uid is held by another claim."""
    return inserts.insert_new(session, PaymentHistoryClaim, values)


def get(session: Session, claim_id: str) -> PaymentHistoryClaim | None:
    return session.get(PaymentHistoryClaim, claim_id)


def locked(session: Session, claim_id: str) -> PaymentHistoryClaim | None:
    """The claim as stored now, locked until the transaction ends."""
    return session.get(PaymentHistoryClaim, claim_id, with_for_update=True, populate_existing=True)


def release(session: Session, claim_id: str) -> None:
    session.execute(delete(PaymentHistoryClaim).where(PaymentHistoryClaim.id == claim_id))


def confirm(session: Session, claim: PaymentHistoryClaim, confirmed_at: datetime) -> PaymentHistory:
    """Replace the (locked) claim by the payment it registered, under the same id; the caller
    fills in what the gateway reported."""
    shared = {column.key: getattr(claim, column.key) for column in CLAIM_COLUMNS}
    session.delete(claim)
    return _payment(session, shared, confirmed_at)


def take(session: Session, claim_id: str, confirmed_at: datetime) -> PaymentHistory | None:
    """`confirm` in one statement for a claim not loaded yet: delete it (waiting for its lock)
    and return the payment that replaces it, or None if it is gone."""
    found = session.execute(_TAKE, {"claim_id": claim_id}).mappings().first()
    return None if found is None else _payment(session, dict(found), confirmed_at)


_TAKE = (
    delete(PaymentHistoryClaim.__table__)
    .where(CLAIM_COLUMNS["id"] == bindparam("claim_id"))
    .returning(*CLAIM_COLUMNS)
)


def _payment(session: Session, shared: dict[str, Any], confirmed_at: datetime) -> PaymentHistory:
    # Every column of a claim is a column of payments (migration 0006 relies on it too). A new
    # payment has no refunds yet: saying so spares a load of each collection.
    history = PaymentHistory(
        **shared,
        currency="",
        refund=0,
        confirmed_at=confirmed_at,
        cancels=[],
        pending_refunds=[],
    )
    session.add(history)
    return history


def since(session: Session, code: str, uids: Iterable[str]) -> dict[str, datetime]:
    """When each of these vendor uids that is claimed now was claimed."""
    listed = sorted(uids)
    found: dict[str, datetime] = {}
    for start in range(0, len(listed), CHUNK):
        query = select(PaymentHistoryClaim.vendor_uid, PaymentHistoryClaim.created_at).where(
            PaymentHistoryClaim.vendor_code == code,
            PaymentHistoryClaim.vendor_uid.in_(listed[start : start + CHUNK]),
        )
        found.update({uid: created_at for uid, created_at in session.execute(query)})
    return found


def registered_since(session: Session, code: str, uid: str, limit: datetime) -> bool:
    """Whether the vendor uid now has a payment, or a claim made after `limit`."""
    history = select(PaymentHistory.id).where(
        PaymentHistory.vendor_code == code, PaymentHistory.vendor_uid == uid
    )
    claim = select(PaymentHistoryClaim.id).where(
        PaymentHistoryClaim.vendor_code == code,
        PaymentHistoryClaim.vendor_uid == uid,
        PaymentHistoryClaim.created_at > limit,
    )
    return bool(session.scalar(select(exists(history) | exists(claim))))

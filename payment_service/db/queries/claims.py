"""Claims (`PaymentHistoryClaim`): registrations in flight, each holding a source and a uid."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from ..models import PaymentHistory, PaymentHistoryClaim

# Uids per `IN (…)` list (SQLite allows 32766 bound parameters, PostgreSQL 65535).
CHUNK = 500
CLAIM_COLUMNS = PaymentHistoryClaim.__table__.columns


def held(session: Session, code: str, uid: str) -> bool:
    """Whether a registration of this vendor uid is in flight."""
    query = select(PaymentHistoryClaim.id).where(
        PaymentHistoryClaim.vendor_code == code, PaymentHistoryClaim.vendor_uid == uid
    )
    return session.scalar(query) is not None


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
    # Every column of a claim is a column of payments (migration 0006 relies on it too).
    shared = {column.key: getattr(claim, column.key) for column in CLAIM_COLUMNS}
    history = PaymentHistory(**shared, currency="", refund=0, confirmed_at=confirmed_at)
    session.delete(claim)
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

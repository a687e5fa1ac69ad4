"""Claims (`PaymentHistoryClaim`): registrations in flight, each holding a source and a uid."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, exists, select
from sqlalchemy.orm import Session

from ..models import PaymentHistory, PaymentHistoryClaim
from ..session import Executor, dialect_of
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


def record(session: Executor, payment: PaymentHistory) -> dict[str, Any] | None:
    """Replace the claim of `payment.id` by the payment, for a claim not loaded yet: what the
    claim holds for the request (`KEPT`: its source, store, owner, webhook_url and age) with
    every other column from `payment` (what the gateway reported: `REPORTED`). The claim as it
    was (its columns), or None, changing nothing, if it is gone. Waits for the claim's lock.

    `payment` stays out of the session: it is filled in with the kept columns, so that it then
    holds the stored row; adding its cancels, if any, is the caller's (it has none at first).
    On PostgreSQL this is one statement (a DELETE and an INSERT in one WITH, which runs in
    autocommit as well as in a transaction); SQLite allows no DELETE in a WITH: two there.
    """
    reported = {name: getattr(payment, name) for name in REPORTED}
    params = {"claim_id": payment.id, **{f"reported_{name}": v for name, v in reported.items()}}
    if dialect_of(session) == "postgresql":
        found = session.execute(_RECORD, params).mappings().first()
    else:
        found = session.execute(_TAKE, params).mappings().first()
        if found is not None:
            row = {**{name: found[name] for name in KEPT}, **reported}
            session.execute(PaymentHistory.__table__.insert(), row)
    if found is None:
        return None
    for name in KEPT:
        setattr(payment, name, found[name])
    return dict(found)


def as_payment(claim: dict[str, Any], confirmed_at: datetime) -> PaymentHistory:
    """The payment a claim stands for before the gateway's answer is applied (out of any
    session): every column of a claim is a column of payments (migration 0006 relies on it
    too), and a new payment has no refunds yet, which saying so spares a load of each."""
    return PaymentHistory(
        **claim,
        currency="",
        refund=0,
        confirmed_at=confirmed_at,
        cancels=[],
        pending_refunds=[],
    )


_CLAIMS = PaymentHistoryClaim.__table__
_HISTORIES = PaymentHistory.__table__
# What the claim holds for the request; the payment's other columns come from the gateway.
KEPT = (
    "id",
    "source_schema",
    "source_table",
    "source_id",
    "vendor_code",
    "vendor_store_id",
    "webhook_url",
    "password",
    "created_at",
)
REPORTED = tuple(column.key for column in _HISTORIES.columns if column.key not in KEPT)

_TAKE = delete(_CLAIMS).where(_CLAIMS.c.id == bindparam("claim_id")).returning(*_CLAIMS.c)


def _record_statement() -> Any:
    taken = _TAKE.cte("taken")
    values = [
        taken.c[name]
        if name in KEPT
        else bindparam(f"reported_{name}", type_=_HISTORIES.c[name].type)
        for name in (column.key for column in _HISTORIES.columns)
    ]
    names = [column.key for column in _HISTORIES.columns]
    recorded = (
        _HISTORIES.insert()
        .from_select(names, select(*values).select_from(taken))
        .returning(_HISTORIES.c.id)
        .cte("recorded")
    )
    # Both parts of a WITH run, to completion, whether or not the outer query reads them.
    return select(*taken.c).add_cte(recorded)


_RECORD = _record_statement()


def confirm(session: Session, claim: PaymentHistoryClaim, confirmed_at: datetime) -> PaymentHistory:
    """Replace the (locked, loaded) claim by the payment it registered, under the same id; the
    caller fills in what the gateway reported."""
    shared = {column.key: getattr(claim, column.key) for column in CLAIM_COLUMNS}
    session.delete(claim)
    history = as_payment(shared, confirmed_at)
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

"""Stored findings (`Finding`) and their audit trail (`FindingEvent`)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from ..models import Finding


def open_with_key(session: Session, key: str) -> Finding | None:
    """The open finding with this identity, locked."""
    query = select(Finding).where(Finding.open_key == key).with_for_update()
    return session.scalars(query).first()


def locked(session: Session, finding_id: str) -> Finding | None:
    return session.get(Finding, finding_id, with_for_update=True, populate_existing=True)


def get(session: Session, finding_id: str) -> Finding | None:
    query = select(Finding).where(Finding.id == finding_id).options(selectinload(Finding.events))
    return session.scalars(query).first()


def listing(
    session: Session,
    *,
    state: str | None = None,
    kind: str | None = None,
    vendor_code: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Finding]:
    """Findings, the most recently seen first, with their events."""
    query = select(Finding).options(selectinload(Finding.events))
    if state is not None:
        query = query.where(Finding.state == state)
    if kind is not None:
        query = query.where(Finding.kind == kind)
    if vendor_code is not None:
        query = query.where(Finding.vendor_code == vendor_code)
    query = query.order_by(Finding.last_seen_at.desc(), Finding.id).limit(limit).offset(offset)
    return list(session.scalars(query).all())


def open_of_record(session: Session, kind: str, record_id: str) -> list[Finding]:
    """Open findings of this kind about this record, locked."""
    query = select(Finding).where(
        Finding.kind == kind, Finding.record_id == record_id, Finding.state == "open"
    )
    return list(session.scalars(query.with_for_update()).all())


def open_of_kind(session: Session, kind: str, vendor_code: str) -> list[Finding]:
    """The vendor's open findings of this kind, locked."""
    query = select(Finding).where(
        Finding.kind == kind, Finding.vendor_code == vendor_code, Finding.state == "open"
    )
    return list(session.scalars(query.with_for_update()).all())


def counts(session: Session) -> dict[tuple[str, str], int]:
    """How many findings there are of each (kind, state)."""
    query = select(Finding.kind, Finding.state, func.count()).group_by(Finding.kind, Finding.state)
    return {(kind, state): int(n) for kind, state, n in session.execute(query)}

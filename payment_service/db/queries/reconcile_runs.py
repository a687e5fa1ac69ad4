"""The scheduled reconciliation's runs (`ReconcileRun`), one row per vendor."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import ReconcileRun
from .inserts import insert_new


def locked(session: Session, vendor_code: str) -> ReconcileRun:
    """The vendor's row, created if missing, locked until the transaction ends."""
    insert_new(session, ReconcileRun, {"vendor_code": vendor_code}, conflict_on=("vendor_code",))
    row = session.get(ReconcileRun, vendor_code, with_for_update=True, populate_existing=True)
    assert row is not None
    return row


def last_successes(session: Session) -> dict[str, datetime]:
    """When each vendor's scheduled reconciliation last succeeded."""
    query = select(ReconcileRun.vendor_code, ReconcileRun.last_success_at).where(
        ReconcileRun.last_success_at.is_not(None)
    )
    return {code: at for code, at in session.execute(query)}

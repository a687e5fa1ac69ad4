"""Refused approvals and charges (`ApprovalFailure`), for the console's overview."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..models import ApprovalFailure


def add(session: Session, vendor_code: str, reason: str, at: datetime) -> None:
    session.add(ApprovalFailure(vendor_code=vendor_code, reason=reason[:128], failed_at=at))


def since(session: Session, start: datetime) -> list[tuple[str, datetime]]:
    """(vendor code, failed_at) of the failures since `start`."""
    query = select(ApprovalFailure.vendor_code, ApprovalFailure.failed_at).where(
        ApprovalFailure.failed_at >= start
    )
    return [(code, at) for code, at in session.execute(query)]


def purge(session: Session, cutoff: datetime) -> None:
    """Forget the failures of `cutoff` and before."""
    session.execute(delete(ApprovalFailure).where(ApprovalFailure.failed_at <= cutoff))

"""Writing findings: raise one (or see it again), close it, and record each step in its trail.

Every function runs in the caller's transaction. A finding's identity is its kind, vendor and
record (or uid, for an orphan): while it is open, finding the same thing again updates it
(`last_seen_at`, `times_seen`, the details) instead of adding another.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ..crypto import dumps
from ..db import Finding, FindingEvent
from ..db.queries import findings as stored

KINDS = ("orphan", "drift", "unknown", "janitor-gave-up")
STATES = ("open", "repaired", "ignored")


def identity(kind: str, vendor_code: str, subject: str) -> str:
    """The open finding's key: the same problem found again has the same key."""
    return f"{kind}:{vendor_code}:{subject}"


def raise_finding(
    session: Session,
    *,
    kind: str,
    vendor_code: str,
    vendor_uid: str,
    record_id: str | None,
    store_id: str | None,
    summary: str,
    details: dict[str, Any],
    found_by: str,
    now: datetime,
) -> Finding:
    """Open a finding, or update the open one with the same identity; return it."""
    key = identity(kind, vendor_code, record_id or vendor_uid)
    text = dumps(details)
    row = stored.open_with_key(session, key)
    if row is not None:
        row.last_seen_at = now
        row.times_seen += 1
        row.details = text  # the latest window and values
        if row.summary != summary:  # what it says changed (an amount, the fields): noted
            row.summary = summary
            note(session, row, "updated", found_by, summary, now)
        return row
    row = Finding(
        kind=kind,
        state="open",
        open_key=key,
        vendor_code=vendor_code,
        vendor_store_id=store_id,
        vendor_uid=vendor_uid,
        record_id=record_id,
        summary=summary,
        details=text,
        found_by=found_by,
        first_seen_at=now,
        last_seen_at=now,
        times_seen=1,
    )
    session.add(row)
    session.flush()
    note(session, row, "found", found_by, summary, now)
    return row


def close(
    session: Session, row: Finding, state: str, actor: str, reason: str, now: datetime
) -> None:
    """Close an open finding as `repaired` or `ignored`, by `actor` for `reason`."""
    row.state = state
    row.open_key = None  # the same problem found again is a new finding
    row.closed_at = now
    row.closed_by = actor
    row.reason = reason
    note(session, row, state, actor, reason, now)


def note(
    session: Session, row: Finding, action: str, actor: str, reason: str, now: datetime
) -> None:
    """One line of the finding's audit trail."""
    session.add(FindingEvent(finding_id=row.id, at=now, action=action, actor=actor, reason=reason))


def details_of(row: Finding) -> dict[str, Any]:
    value = json.loads(row.details)
    return value if isinstance(value, dict) else {"value": value}

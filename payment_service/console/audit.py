"""The audit log: every operator action, appended in a transaction of its own and never
changed (no route or command edits or deletes an entry)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..db import ConsoleAuditEntry, Database
from ..db.queries import audit as stored
from ..payments.views import iso

# The actions written; the audit screen and `payment-service audit` show them as they are.
LOGIN = "login"
LOGIN_FAILED = "login.failed"
LOGOUT = "logout"
PAYMENT_VIEW = "payment.view"
PAYMENT_EXPORT = "payment.export"
PAYMENT_REFUND = "payment.refund"
WEBHOOK_RESEND = "webhook.resend"
OPERATOR_ADD = "operator.add"
OPERATOR_DISABLE = "operator.disable"
OPERATOR_SET_ROLE = "operator.set_role"

OK = "ok"


@dataclass(frozen=True)
class Entry:
    at: datetime
    operator: str | None
    action: str
    target: str | None
    reason: str | None
    outcome: str
    client: str
    request_id: str | None

    @classmethod
    def of(cls, row: ConsoleAuditEntry) -> Entry:
        return cls(
            row.at,
            row.operator,
            row.action,
            row.target,
            row.reason,
            row.outcome,
            row.client,
            row.request_id,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "at": iso(self.at),
            "operator": self.operator,
            "action": self.action,
            "target": self.target,
            "reason": self.reason,
            "outcome": self.outcome,
            "client": self.client,
            "request_id": self.request_id,
        }


def append(
    database: Database,
    at: datetime,
    *,
    operator: str | None,
    action: str,
    target: str | None = None,
    reason: str | None = None,
    outcome: str = OK,
    client: str = "cli",
    request_id: str | None = None,
) -> None:
    with database.transaction() as session:
        session.add(
            ConsoleAuditEntry(
                at=at,
                operator=operator,
                action=action,
                target=target,
                reason=reason,
                outcome=outcome,
                client=client[:64],
                request_id=request_id,
            )
        )


def entries(
    database: Database,
    *,
    since: datetime | None = None,
    target: str | None = None,
    action: str | None = None,
    operator: str | None = None,
    limit: int | None = None,
) -> list[Entry]:
    """Entries, the newest first."""
    with database.reading() as session:
        rows = stored.newest(
            session, since=since, target=target, action=action, operator=operator, limit=limit
        )
        return [Entry.of(row) for row in rows]

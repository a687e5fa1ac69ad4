"""Findings: what reconciliation and the janitor found for a person to act on — the API the
command line (`payment-service findings`) and the operator console call.

    list_findings(runtime, state="open", kind=None, vendor=None, limit=100, offset=0)
        -> list[FindingView]
    get_finding(runtime, finding_id) -> FindingView                    # NotFound (404)
    repair(runtime, finding_id, actor=..., reason=...) -> FindingView   # Conflict (409) if
                                                                        # it cannot be repaired
    ignore(runtime, finding_id, actor=..., reason=...) -> FindingView
    store_report(runtime, report, found_by=..., actor=...) -> list[str]

`actor` is who acts (an operator's e-mail, `cli:<user>`), `reason` why; both are kept in the
finding's trail (`FindingView.events`). Only an open finding can be repaired or ignored; a
reason is required (BadRequest, 400, otherwise). What `repair` does depends on the kind:

* `drift`: the gateway's record is applied through the inbound webhooks' synchronisation (the
  service gets its webhook), as `reconcile --repair` does; repaired once no field differs;
* `orphan`: unless a history was registered for it since, the money the gateway still holds is
  refunded there (as `reconcile --cancel-orphans-older-than` does), with `reason`;
* `unknown`: looked up again; repaired only if the gateway knows the payment now (then
  synchronised);
* `janitor-gave-up`: the record is checked with its gateway at once; repaired if settled.

A repair that fails leaves the finding open and notes the failure in its trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ..db import Finding
from ..db.queries import claims
from ..db.queries import findings as stored
from ..errors import BadRequest, Conflict, NotFound, ServiceError
from ..payments.reconcile import ORPHAN_CANCEL_REASON, Report, drift_of
from ..payments.views import iso
from ..payments.webhooks import synchronize
from ..runtime import Runtime
from ..vendors import GatewayError, GatewayRejected, Refund, UnknownVendor, Vendor, WebhookNotice
from . import janitor, store

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
KINDS = store.KINDS
STATES = store.STATES


@dataclass(frozen=True)
class Event:
    at: datetime
    action: str  # found, updated, repaired, ignored, repair-failed
    actor: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {
            "at": iso(self.at),
            "action": self.action,
            "actor": self.actor,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class FindingView:
    """A stored finding, read in its own transaction (safe to keep and render)."""

    id: str
    kind: str
    state: str
    vendor_code: str
    store_id: str | None
    vendor_uid: str
    record_id: str | None
    summary: str
    details: dict[str, Any]
    found_by: str
    first_seen_at: datetime
    last_seen_at: datetime
    times_seen: int
    closed_at: datetime | None
    closed_by: str | None
    reason: str | None
    events: tuple[Event, ...]

    def to_json(self) -> dict[str, Any]:
        """The finding as `findings list --json` prints it."""
        return {
            "id": self.id,
            "kind": self.kind,
            "state": self.state,
            "vendor": self.vendor_code,
            "store": self.store_id,
            "uid": self.vendor_uid,
            "record_id": self.record_id,
            "summary": self.summary,
            "details": self.details,
            "found_by": self.found_by,
            "first_seen_at": iso(self.first_seen_at),
            "last_seen_at": iso(self.last_seen_at),
            "times_seen": self.times_seen,
            "closed_at": iso(self.closed_at),
            "closed_by": self.closed_by,
            "reason": self.reason,
            "events": [event.to_json() for event in self.events],
        }


def _view(row: Finding) -> FindingView:
    return FindingView(
        id=row.id,
        kind=row.kind,
        state=row.state,
        vendor_code=row.vendor_code,
        store_id=row.vendor_store_id,
        vendor_uid=row.vendor_uid,
        record_id=row.record_id,
        summary=row.summary,
        details=store.details_of(row),
        found_by=row.found_by,
        first_seen_at=row.first_seen_at,
        last_seen_at=row.last_seen_at,
        times_seen=row.times_seen,
        closed_at=row.closed_at,
        closed_by=row.closed_by,
        reason=row.reason,
        events=tuple(Event(e.at, e.action, e.actor, e.reason) for e in row.events),
    )


def list_findings(
    runtime: Runtime,
    *,
    state: str | None = None,
    kind: str | None = None,
    vendor: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[FindingView]:
    """Stored findings, the most recently seen first; each filter is optional."""
    if state is not None and state not in STATES:
        raise BadRequest(f"Unknown state {state!r} (one of {', '.join(STATES)}).")
    if kind is not None and kind not in KINDS:
        raise BadRequest(f"Unknown kind {kind!r} (one of {', '.join(KINDS)}).")
    with runtime.database.reading() as session:
        rows = stored.listing(
            session, state=state, kind=kind, vendor_code=vendor, limit=limit, offset=offset
        )
        return [_view(row) for row in rows]


def get_finding(runtime: Runtime, finding_id: str) -> FindingView:
    with runtime.database.reading() as session:
        row = stored.get(session, finding_id)
        if row is None:
            raise NotFound(f"No finding {finding_id}.")
        return _view(row)


def ignore(runtime: Runtime, finding_id: str, *, actor: str, reason: str) -> FindingView:
    """Close an open finding as ignored (nothing is changed anywhere), saying who and why."""
    _require(actor, reason)
    with runtime.database.transaction() as session:
        store.close(session, _open(session, finding_id), "ignored", actor, reason, runtime.clock())
    return get_finding(runtime, finding_id)


def repair(runtime: Runtime, finding_id: str, *, actor: str, reason: str) -> FindingView:
    """Repair what an open finding reports (see the module's docstring), saying who and why.

    Raises Conflict (409) when it cannot be repaired now: the failure is noted in the trail.
    """
    _require(actor, reason)
    finding = get_finding(runtime, finding_id)
    if finding.state != "open":
        raise Conflict(f"Finding {finding_id} is {finding.state}, not open.")
    try:
        done = _REPAIRS[finding.kind](runtime, finding, reason)
    except (ServiceError, GatewayError) as error:
        message = getattr(error, "message", str(error))
        _note(runtime, finding_id, "repair-failed", actor, f"{reason}: {message}")
        raise Conflict(f"Finding {finding_id} was not repaired: {message}") from None
    with runtime.database.transaction() as session:
        row = _open(session, finding_id)
        store.close(session, row, "repaired", actor, f"{reason} ({done})", runtime.clock())
    return get_finding(runtime, finding_id)


def store_report(runtime: Runtime, report: Report, *, found_by: str, actor: str) -> list[str]:
    """Keep a reconciliation's findings (the same one found again is updated, not added);
    drifted histories the run repaired, and orphans registered since, are closed as repaired
    by `actor`. Return the ids of the findings of this report."""
    now = runtime.clock()
    code, store_id = report.vendor, report.store
    window = {"since": iso(report.since), "until": iso(report.until)}
    ids: list[str] = []
    with runtime.database.transaction() as session:
        # Orphans the service has registered since (a late registration): nothing left to do.
        for row in stored.open_of_kind(session, "orphan", code):
            if claims.registered_since(session, code, row.vendor_uid, now):
                store.close(session, row, "repaired", actor, "registered since", now)
        for orphan in report.orphans:
            row = store.raise_finding(
                session,
                kind="orphan",
                vendor_code=code,
                vendor_uid=orphan.uid,
                record_id=None,
                store_id=store_id,
                summary=f"paid at the gateway ({orphan.amount} held), no record here",
                details={
                    "order_id": orphan.order_id,
                    "amount": orphan.amount,
                    "paid_at": iso(orphan.paid_at),
                    **window,
                },
                found_by=found_by,
                now=now,
            )
            ids.append(row.id)
        drifted: dict[str, list[Any]] = {}
        for drift in report.drift:
            drifted.setdefault(drift.id, []).append(drift)
        for history_id, fields in drifted.items():
            row = store.raise_finding(
                session,
                kind="drift",
                vendor_code=code,
                vendor_uid=fields[0].uid,
                record_id=history_id,
                store_id=store_id,
                summary="the record differs from the gateway in "
                + ", ".join(d.field for d in fields),
                details={
                    "fields": {
                        d.field: {"recorded": d.recorded, "gateway": d.gateway} for d in fields
                    },
                    **window,
                },
                found_by=found_by,
                now=now,
            )
            if history_id in report.repaired:
                store.close(session, row, "repaired", actor, "repaired by the run", now)
            ids.append(row.id)
        for unknown in report.unknown:
            row = store.raise_finding(
                session,
                kind="unknown",
                vendor_code=code,
                vendor_uid=unknown.uid,
                record_id=unknown.id,
                store_id=store_id,
                summary="recorded here, unknown to the gateway",
                details=window,
                found_by=found_by,
                now=now,
            )
            ids.append(row.id)
    return ids


# -- repairs, by kind --------------------------------------------------------------------


def _vendor(runtime: Runtime, code: str) -> Vendor:
    try:
        return runtime.vendors.get(code)
    except UnknownVendor:
        raise Conflict(f"Vendor {code!r} is not loaded.") from None


def _repair_drift(runtime: Runtime, finding: FindingView, reason: str) -> str:
    vendor = _vendor(runtime, finding.vendor_code)
    assert finding.record_id is not None
    notice = WebhookNotice(finding.vendor_uid, "a finding is repaired")
    synchronize(
        runtime, vendor, notice, {"finding": {"id": finding.id, "reason": reason}}, coalesce=False
    )
    left = drift_of(runtime, vendor, finding.record_id)
    if left:
        fields = ", ".join(sorted({d.field for d in left}))
        raise Conflict(f"the record still differs from the gateway in {fields}")
    return "synchronised with the gateway"


def _repair_orphan(runtime: Runtime, finding: FindingView, reason: str) -> str:
    vendor = _vendor(runtime, finding.vendor_code)
    with runtime.database.reading() as session:
        # A history, or a registration in flight however old: the service wants it.
        if claims.registered_since(session, vendor.code, finding.vendor_uid, EPOCH):
            return "registered since: nothing to refund"
    store_id = finding.store_id or ""
    payment = vendor.fetch_payment(store_id, finding.vendor_uid)
    summary = vendor.summarize(payment)
    held = summary.price - sum((c.amount for c in summary.cancels), Decimal(0))
    if held <= 0:
        return "refunded at the gateway already"
    order_id = str(finding.details.get("order_id") or "")
    vendor.cancel(
        store_id, finding.vendor_uid, Refund(order_id, held, f"{ORPHAN_CANCEL_REASON}: {reason}")
    )
    return f"refunded {held} at the gateway"


def _repair_unknown(runtime: Runtime, finding: FindingView, reason: str) -> str:
    vendor = _vendor(runtime, finding.vendor_code)
    try:
        vendor.fetch_payment(finding.store_id or "", finding.vendor_uid)
    except GatewayRejected as error:
        if error.status == 404:
            raise Conflict(
                "the gateway still does not know this payment; ignore the finding with a reason "
                "once it is understood"
            ) from None
        raise
    return _repair_drift(runtime, finding, reason)


def _repair_gave_up(runtime: Runtime, finding: FindingView, reason: str) -> str:
    record = str(finding.details.get("record") or "")
    assert finding.record_id is not None
    checked = janitor.check_now(runtime, record, finding.record_id)
    if checked.outcome != "settled":
        raise Conflict(f"still in doubt: {checked.detail}")
    return checked.detail


_REPAIRS = {
    "drift": _repair_drift,
    "orphan": _repair_orphan,
    "unknown": _repair_unknown,
    "janitor-gave-up": _repair_gave_up,
}


def _require(actor: str, reason: str) -> None:
    if not actor.strip():
        raise BadRequest("Say who acts (actor).")
    if not reason.strip():
        raise BadRequest("Give a reason: it is kept in the finding's trail.")


def _open(session: Any, finding_id: str) -> Finding:
    row = stored.locked(session, finding_id)
    if row is None:
        raise NotFound(f"No finding {finding_id}.")
    if row.state != "open":
        raise Conflict(f"Finding {finding_id} is {row.state}, not open.")
    return row


def _note(runtime: Runtime, finding_id: str, action: str, actor: str, reason: str) -> None:
    with runtime.database.transaction() as session:
        row = stored.locked(session, finding_id)
        if row is not None:
            store.note(session, row, action, actor, reason, runtime.clock())

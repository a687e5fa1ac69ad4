"""Reconciliation findings (`payment_service.healing`): listed by state, kind and vendor;
resolved one or many at a time with a reason (repair = what `reconcile --repair` does for
it; ignore = close it, changing nothing); and runs of `reconcile` started from here, whose
findings are kept like the CLI's and the schedule's."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ...api.context import runtime
from ...errors import ServiceError
from ...healing import findings
from ...payments import reconcile as core
from .. import audit, sessions
from ..permissions import FINDING_RESOLVE, PAYMENT_READ

PAGE_SIZE = 100
ACTIONS = {"repair": findings.repair, "ignore": findings.ignore}


def _filters() -> dict[str, str]:
    found = {key: request.values.get(key, "").strip() for key in ("state", "kind", "vendor")}
    if "state" not in request.values:
        found["state"] = "open"
    return {key: value for key, value in found.items() if value}


@sessions.requires(PAYMENT_READ)
def reconciliation(status: int = 200, error: str | None = None) -> tuple[str, int]:
    filters = _filters()
    try:
        rows = findings.list_findings(
            runtime(),
            state=filters.get("state"),
            kind=filters.get("kind"),
            vendor=filters.get("vendor"),
            limit=PAGE_SIZE,
        )
    except ServiceError as problem:
        rows, status, error = [], problem.status, problem.message
    page = render_template(
        "console/reconciliation.html",
        rows=rows,
        filters=filters,
        states=findings.STATES,
        kinds=findings.KINDS,
        vendors=runtime().vendors.codes,
        error=error,
        limit=PAGE_SIZE,
        query=urlencode(filters),
    )
    return page, status


def _stale() -> Response | None:
    if sessions.fresh():
        return None
    flash("This needs a recent login: log in again, then act.", "error")
    sessions.end()
    return redirect(url_for("console.login", next=url_for("console.reconciliation")), 303)


@sessions.requires(FINDING_RESOLVE)
def resolve() -> Response | tuple[str, int]:
    stale = _stale()
    if stale is not None:
        return stale
    action = request.form.get("action", "")
    reason = request.form.get("reason", "").strip()
    ids = request.form.getlist("ids")
    if action not in ACTIONS:
        return reconciliation(400, "Choose repair or ignore.")
    if not reason:
        return reconciliation(400, "Resolving needs a reason.")
    if not ids:
        return reconciliation(400, "Select at least one finding.")
    operator = sessions.current()
    assert operator is not None
    done, failed = 0, []
    for finding_id in ids:
        try:
            ACTIONS[action](runtime(), finding_id, actor=operator.email, reason=reason)
        except ServiceError as error:
            failed.append(error.message)
            outcome = f"{error.status}: {error.message}"
        else:
            done += 1
            outcome = audit.OK
        sessions.record(f"finding.{action}", target=finding_id, reason=reason, outcome=outcome)
    verb = "repaired" if action == "repair" else "ignored"
    flash(f"{done} finding(s) {verb}.", "info")
    for message in failed:
        flash(message, "error")
    return redirect(url_for("console.reconciliation", **_filters()), 303)


@sessions.requires(FINDING_RESOLVE)
def run() -> Response | tuple[str, int]:
    stale = _stale()
    if stale is not None:
        return stale
    vendor = request.form.get("vendor", "").strip()
    try:
        since = core.parse_instant(request.form.get("since", ""))
        until = core.parse_instant(request.form.get("until", ""))
    except ValueError as error:
        return reconciliation(400, str(error))
    if since >= until:
        return reconciliation(400, "The window must start before it ends.")
    operator = sessions.current()
    assert operator is not None
    target = f"{vendor} {since.isoformat()}..{until.isoformat()}"
    try:
        report = core.reconcile(runtime(), vendor, since, until)
        kept = findings.store_report(runtime(), report, found_by="console", actor=operator.email)
    except ServiceError as error:
        sessions.record(
            "reconciliation.run", target=target, outcome=f"{error.status}: {error.message}"
        )
        return reconciliation(error.status, error.message)
    sessions.record("reconciliation.run", target=target, outcome=f"ok: {len(kept)} finding(s)")
    flash(f"Reconciled {vendor}: {len(kept)} finding(s) kept.", "info")
    for problem in report.errors:
        flash(problem, "error")
    return redirect(url_for("console.reconciliation"), 303)


def register(blp: Blueprint) -> None:
    blp.add_url_rule("/reconciliation", "reconciliation", reconciliation)
    blp.add_url_rule("/reconciliation/resolve", "resolve", resolve, methods=["POST"])
    blp.add_url_rule("/reconciliation/run", "reconcile", run, methods=["POST"])

"""Admin screens: operators, and the audit log."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ...api.context import runtime
from ...errors import ServiceError
from .. import audit, operators, sessions
from ..permissions import AUDIT_READ, OPERATOR_MANAGE, ROLES

AUDIT_PAGE = 200


@sessions.requires(OPERATOR_MANAGE)
def operators_page(status: int = 200, error: str | None = None) -> tuple[str, int]:
    rows = operators.every(runtime().database)
    page = render_template("console/operators.html", rows=rows, roles=list(ROLES), error=error)
    return page, status


def _done(message: str) -> Response:
    flash(message, "info")
    return redirect(url_for("console.operators"), 303)


@sessions.requires(OPERATOR_MANAGE)
def add() -> Response | tuple[str, int]:
    email = request.form.get("email", "")
    role = request.form.get("role", "")
    try:
        added = operators.add(
            runtime().database, email, role, request.form.get("password", ""), runtime().clock()
        )
    except ServiceError as error:
        sessions.record(audit.OPERATOR_ADD, target=email[:255], outcome=error.message)
        return operators_page(error.status, error.message)
    sessions.record(audit.OPERATOR_ADD, target=added.email, reason=f"role {role}")
    return _done(f"Added {added.email} ({added.role}).")


@sessions.requires(OPERATOR_MANAGE)
def disable() -> Response | tuple[str, int]:
    email = request.form.get("email", "")
    try:
        done = operators.disable(runtime().database, email, runtime().clock())
    except ServiceError as error:
        return operators_page(error.status, error.message)
    sessions.record(audit.OPERATOR_DISABLE, target=done.email)
    return _done(f"Disabled {done.email}.")


@sessions.requires(OPERATOR_MANAGE)
def set_role() -> Response | tuple[str, int]:
    email, role = request.form.get("email", ""), request.form.get("role", "")
    try:
        done = operators.set_role(runtime().database, email, role)
    except ServiceError as error:
        return operators_page(error.status, error.message)
    sessions.record(audit.OPERATOR_SET_ROLE, target=done.email, reason=f"role {role}")
    return _done(f"{done.email} is now {done.role}.")


@sessions.requires(AUDIT_READ)
def audit_page() -> str:
    filters = {
        key: request.args.get(key, "").strip() or None for key in ("operator", "action", "target")
    }
    rows = audit.entries(runtime().database, limit=AUDIT_PAGE, **filters)  # type: ignore[arg-type]
    shown = {key: value for key, value in filters.items() if value}
    return render_template("console/audit.html", rows=rows, filters=shown, limit=AUDIT_PAGE)


def register(blp: Blueprint) -> None:
    blp.add_url_rule("/operators", "operators", operators_page)
    blp.add_url_rule("/operators/add", "operator_add", add, methods=["POST"])
    blp.add_url_rule("/operators/disable", "operator_disable", disable, methods=["POST"])
    blp.add_url_rule("/operators/role", "operator_role", set_role, methods=["POST"])
    blp.add_url_rule("/audit", "audit", audit_page)

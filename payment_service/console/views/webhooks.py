"""Outgoing webhooks by state; resending one, or every failed one matching the filter."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ...api.context import runtime
from ...db.queries import search
from ...delivery.operations import STATUSES, retry
from ...delivery.url_policy import without_credentials
from ...errors import NotFound
from ...payments.views import iso
from .. import audit, sessions
from ..permissions import WEBHOOK_READ, WEBHOOK_RESEND

PAGE_SIZE = 50


def _filters() -> dict[str, str]:
    status = request.values.get("status", "").strip()
    payment_id = request.values.get("payment_id", "").strip()
    found = {"status": status if status in STATUSES else "", "payment_id": payment_id}
    return {key: value for key, value in found.items() if value}


@sessions.requires(WEBHOOK_READ)
def webhooks() -> str:
    filters = _filters()
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page = 1
    with runtime().database.reading() as session:
        rows, total = search.webhooks(
            session,
            status=filters.get("status"),
            payment_id=filters.get("payment_id"),
            offset=(page - 1) * PAGE_SIZE,
            limit=PAGE_SIZE,
        )
        listed = [
            {
                "id": webhook.id,
                "payment_id": webhook.payment_history_id,
                "status": webhook.status,
                "attempts": webhook.attempts,
                "created_at": iso(webhook.created_at),
                "next_attempt_at": iso(webhook.next_attempt_at),
                "delivered_at": iso(webhook.delivered_at),
                "last_error": webhook.last_error,
                "receiver": without_credentials(url),
            }
            for webhook, url in rows
        ]
    return render_template(
        "console/webhooks.html",
        rows=listed,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        filters=filters,
        statuses=STATUSES,
        query=urlencode(filters),
    )


def _back() -> Response:
    return redirect(url_for("console.webhooks", **_filters()), 303)


def _stale() -> Response | None:
    if sessions.fresh():
        return None
    flash("Resending needs a recent login: log in again, then resend.", "error")
    sessions.end()
    return redirect(url_for("console.login", next=url_for("console.webhooks")), 303)


def _reason() -> str | None:
    reason = request.form.get("reason", "").strip()
    if not reason:
        flash("A resend needs a reason.", "error")
        return None
    return reason


@sessions.requires(WEBHOOK_RESEND)
def resend(webhook_id: str) -> Response | tuple[str, int]:
    stale = _stale()
    if stale is not None:
        return stale
    reason = _reason()
    if reason is None:
        return render_template(
            "console/error.html", status=400, message="A resend needs a reason."
        ), 400
    try:
        retry(runtime().database, runtime().settings, runtime().clock(), [webhook_id])
    except NotFound as error:
        sessions.record(audit.WEBHOOK_RESEND, target=webhook_id, reason=reason, outcome="404")
        return render_template("console/error.html", status=404, message=error.message), 404
    runtime().outbox_written()
    sessions.record(audit.WEBHOOK_RESEND, target=webhook_id, reason=reason)
    flash(f"Webhook {webhook_id} will be sent again.", "info")
    return _back()


@sessions.requires(WEBHOOK_RESEND)
def resend_failed() -> Response | tuple[str, int]:
    stale = _stale()
    if stale is not None:
        return stale
    reason = _reason()
    if reason is None:
        return render_template(
            "console/error.html", status=400, message="A resend needs a reason."
        ), 400
    payment_id = _filters().get("payment_id")
    with runtime().database.reading() as session:
        ids = search.webhook_ids(session, status="failed", payment_id=payment_id)
    count = retry(runtime().database, runtime().settings, runtime().clock(), ids) if ids else 0
    if count:
        runtime().outbox_written()
    target = f"failed webhooks of payment {payment_id}" if payment_id else "every failed webhook"
    sessions.record(audit.WEBHOOK_RESEND, target=target, reason=reason, outcome=f"ok: {count}")
    flash(f"{count} failed webhook(s) will be sent again.", "info")
    return _back()


def register(blp: Blueprint) -> None:
    blp.add_url_rule("/webhooks", "webhooks", webhooks)
    blp.add_url_rule("/webhooks/<webhook_id>/resend", "resend", resend, methods=["POST"])
    blp.add_url_rule("/webhooks/resend", "resend_failed", resend_failed, methods=["POST"])

"""Payments: search, export, detail with its timeline, refund; reservations."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ...api.context import runtime
from ...db import PaymentHistory
from ...db.queries import search
from ...db.queries.search import PAYMENT_STATUSES, PaymentFilter
from ...payments.reconcile import parse_instant
from ...payments.views import iso, reservation_view
from ...runtime import Runtime
from .. import audit, refunds, sessions, timeline
from ..permissions import PAYMENT_READ, PAYMENT_REFUND

PAGE_SIZE = 50
EXPORT_BATCH = 500
STATUS_LABELS = {
    "paid": "paid",
    "partly_refunded": "partly refunded",
    "refunded": "refunded",
    "unpaid_virtual_account": "unpaid virtual account",
    "cancelled": "cancelled",
}
CSV_COLUMNS = (
    "id", "vendor_code", "vendor_uid", "vendor_store_id", "source_schema", "source_table",
    "source_id", "currency", "price", "refund", "status", "created_at", "paid_at", "cancelled_at",
)  # fmt: skip


# A cell a spreadsheet would run as a formula (text from the calling service or a gateway).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(text: str) -> str:
    """Text as a CSV cell a spreadsheet shows rather than evaluates (OWASP's CSV injection)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class BadFilter(ValueError):
    pass


def status_of(row: PaymentHistory) -> str:
    """The row's status, as the search filters it (`db.queries.search`)."""
    refund = row.refund or Decimal(0)
    if row.paid_at is None:
        return "cancelled" if row.cancelled_at is not None else "unpaid_virtual_account"
    if refund <= 0:
        return "paid"
    return "refunded" if refund >= row.price else "partly_refunded"


def _amount(name: str) -> Decimal | None:
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise BadFilter(f"{name}: {text!r} is not an amount") from None
    if not amount.is_finite():
        raise BadFilter(f"{name}: {text!r} is not an amount")
    return amount


def _instant(name: str) -> datetime | None:
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        return parse_instant(text)
    except ValueError as error:
        raise BadFilter(f"{name}: {error}") from None


def _text(name: str) -> str | None:
    return request.args.get(name, "").strip() or None


def payment_filter() -> PaymentFilter:
    status = _text("status")
    if status is not None and status not in PAYMENT_STATUSES:
        raise BadFilter(f"status: one of {', '.join(PAYMENT_STATUSES)}")
    return PaymentFilter(
        id=_text("id"),
        uid=_text("uid"),
        source_id=_text("source_id"),
        vendor=_text("vendor"),
        status=status,
        min_amount=_amount("min_amount"),
        max_amount=_amount("max_amount"),
        since=_instant("since"),
        until=_instant("until"),
    )


def _page() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


def _filters() -> dict[str, str]:
    """The request's filters, without the page (for links to other pages and the export)."""
    return {key: value for key, value in request.args.items() if key != "page" and value}


@sessions.requires(PAYMENT_READ)
def payments() -> tuple[str, int] | str:
    try:
        criteria = payment_filter()
    except BadFilter as error:
        page = render_template(
            "console/payments.html", rows=[], total=0, page=1, pages=1, error=str(error),
            filters=_filters(), statuses=STATUS_LABELS, query="",
        )  # fmt: skip
        return page, 400
    page = _page()
    with runtime().database.reading() as session:
        rows, total = search.payments(
            session, criteria, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
        )
        listed = [_listed(row) for row in rows]
    return render_template(
        "console/payments.html",
        rows=listed,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        filters=_filters(),
        statuses=STATUS_LABELS,
        query=urlencode(_filters()),
    )


def _listed(row: PaymentHistory) -> dict[str, Any]:
    return {
        "id": row.id,
        "vendor_code": row.vendor_code,
        "vendor_uid": row.vendor_uid,
        "source_id": row.source_id,
        "currency": row.currency,
        "price": row.price,
        "refund": row.refund,
        "status": STATUS_LABELS[status_of(row)],
        "created_at": iso(row.created_at),
    }


@sessions.requires(PAYMENT_READ)
def payments_csv() -> Response | tuple[str, int]:
    try:
        criteria = payment_filter()
    except BadFilter as error:
        return render_template("console/error.html", status=400, message=str(error)), 400
    sessions.record(audit.PAYMENT_EXPORT, target=urlencode(_filters())[:255] or "all")
    name = f"payments-{runtime().clock():%Y%m%dT%H%M%SZ}.csv"
    return Response(
        _csv_rows(runtime(), criteria),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _csv_rows(runtime: Runtime, criteria: PaymentFilter) -> Iterator[str]:
    """Every matching payment, read in batches (each a short unit of work) while streaming."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flushed() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    yield flushed()
    after: tuple[datetime, str] | None = None
    while True:
        with runtime.database.reading() as session:
            rows = search.payments_after(session, criteria, after, EXPORT_BATCH)
            for row in rows:
                writer.writerow(
                    [
                        row.id, cell(row.vendor_code), cell(row.vendor_uid),
                        cell(row.vendor_store_id), cell(row.source_schema),
                        cell(row.source_table), cell(row.source_id), cell(row.currency),
                        row.price, "" if row.refund is None else row.refund, status_of(row),
                        iso(row.created_at), iso(row.paid_at) or "", iso(row.cancelled_at) or "",
                    ]
                )  # fmt: skip
            if rows:
                after = (rows[-1].created_at, rows[-1].id)
        if rows:
            yield flushed()
        if len(rows) < EXPORT_BATCH:
            return


def _detail(history_id: str, status: int = 200, error: str | None = None) -> tuple[str, int]:
    page = timeline.load(runtime().database, runtime().settings.keys, history_id)
    if page is None:
        abort(404)
    return (
        render_template(
            "console/payment.html",
            page=page,
            payment=page.view,
            error=error,
            submission_key=str(uuid.uuid4()),
            amount=request.form.get("amount", "") if error else "",
            reason=request.form.get("reason", "") if error else "",
        ),
        status,
    )


@sessions.requires(PAYMENT_READ)
def payment(history_id: str) -> tuple[str, int]:
    answer = _detail(history_id)
    sessions.record(audit.PAYMENT_VIEW, target=history_id)
    return answer


@sessions.requires(PAYMENT_REFUND)
def refund(history_id: str) -> Response | tuple[str, int]:
    here = url_for("console.payment", history_id=history_id)
    if not sessions.fresh():
        flash("A refund needs a recent login: log in again, then refund.", "error")
        sessions.end()
        return redirect(url_for("console.login", next=here), 303)
    reason = request.form.get("reason", "").strip()
    text = request.form.get("amount", "").strip()
    if not reason:
        return _detail(history_id, 400, "A refund needs a reason.")
    with runtime().database.reading() as session:
        row = search.payment_with_history(session, history_id)
        remainder = None if row is None else row.price - (row.refund or 0)
    if remainder is None:
        abort(404)
    try:
        amount = Decimal(text) if text else remainder
    except InvalidOperation:
        return _detail(history_id, 400, f"{text!r} is not an amount.")
    if not amount.is_finite() or amount <= 0:
        return _detail(history_id, 400, "The amount must be more than zero.")
    outcome = refunds.refund(
        runtime(), history_id, amount, reason, request.form.get("submission_key", "")
    )
    if not outcome.replayed:
        sessions.record(
            audit.PAYMENT_REFUND,
            target=history_id,
            reason=reason,
            outcome=audit.OK if outcome.ok else f"{outcome.status}: {outcome.message}",
        )
    if not outcome.ok:
        return _detail(history_id, outcome.status, outcome.message)
    note = " (this form was already submitted: nothing was refunded twice)"
    flash(outcome.message + (note if outcome.replayed else ""), "info")
    return redirect(here, 303)


@sessions.requires(PAYMENT_READ)
def reservations() -> str:
    page = _page()
    with runtime().database.reading() as session:
        rows, total = search.reservations(
            session,
            uid=_text("uid"),
            source_id=_text("source_id"),
            vendor=_text("vendor"),
            offset=(page - 1) * PAGE_SIZE,
            limit=PAGE_SIZE,
        )
        cipher = runtime().settings.keys.reservation
        listed = [reservation_view(row, cipher) for row in rows]
    return render_template(
        "console/reservations.html",
        rows=listed,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        filters=_filters(),
        query=urlencode(_filters()),
    )


def register(blp: Blueprint) -> None:
    blp.add_url_rule("/payments", "payments", payments)
    blp.add_url_rule("/payments.csv", "payments_csv", payments_csv)
    blp.add_url_rule("/payments/<history_id>", "payment", payment)
    blp.add_url_rule("/payments/<history_id>/refund", "refund", refund, methods=["POST"])
    blp.add_url_rule("/reservations", "reservations", reservations)

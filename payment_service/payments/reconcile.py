"""Reconciliation: what a gateway knows and our records do not, and the way back.

The gateway's payments in a time window (its own list, paged by the vendor's `list_payments`)
are compared with the payment histories:

* an **orphan** is money the gateway holds with no history here (paid, or a deposited virtual
  account, not fully refunded) — typically a service that crashed before registering it;
* a **drift** is a history whose status, price, refunded amount, cancels or payment time
  differ from the gateway's record — typically a refund made in the merchant console whose
  webhook was lost;
* an **unknown** is a history of the window that the gateway does not know at all.

Histories created in the window that the gateway did not list are looked up one by one, so a
payment listed under another of its times (its refund, say) is compared, not called unknown.

`repair` applies the gateway's record to drifted histories through the same synchronisation as
inbound webhooks, so the calling service receives its webhooks. Nothing is ever deleted, and
orphans are never registered: their order is the calling service's business. `cancel_older_than`
refunds orphans at the gateway once both the payment and any attempt to register it are that
old (customers charged for nothing). No transaction is held while a gateway is called.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from ..crypto import dumps
from ..db.places import place
from ..db.queries import claims, histories
from ..durations import parse_duration
from ..errors import BadRequest, NotFound, ServiceError
from ..runtime import Runtime
from ..vendors import (
    GatewayError,
    GatewayRejected,
    ListedPayment,
    ListingUnsupported,
    PaymentSummary,
    Refund,
    UnknownVendor,
    Vendor,
    WebhookNotice,
)
from .views import iso
from .webhooks import synchronize

__all__ = ["drift_of", "parse_duration", "parse_instant", "reconcile", "render_text"]

ORPHAN_CANCEL_REASON = "결제 기록이 없는 결제 취소 (reconciliation)"  # shown in the console
# The compared fields, in the order a report lists them.
FIELDS = ("status", "price", "refund", "cancels", "paid_at")

Progress = Callable[[float], None]


@dataclass(frozen=True)
class Orphan:
    uid: str
    order_id: str
    amount: Decimal
    """What the gateway still holds: the price less its refunds."""
    paid_at: datetime | None


@dataclass(frozen=True)
class Drift:
    id: str
    uid: str
    field: str
    recorded: Any
    gateway: Any


@dataclass(frozen=True)
class Unknown:
    id: str
    uid: str


@dataclass
class Report:
    vendor: str
    store: str | None
    since: datetime
    until: datetime
    checked: int = 0
    orphans: list[Orphan] = field(default_factory=list)
    drift: list[Drift] = field(default_factory=list)
    unknown: list[Unknown] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    """What could not be done (a repair or a cancel the gateway refused), one sentence each."""

    @property
    def found(self) -> bool:
        return bool(self.orphans or self.drift or self.unknown)

    def to_json(self) -> dict[str, Any]:
        """The report as `reconcile --json` prints it (these keys and no others)."""
        return {
            "vendor": self.vendor,
            "store": self.store,
            "since": iso(self.since),
            "until": iso(self.until),
            "checked": self.checked,
            "orphans": [
                {"uid": o.uid, "amount": o.amount, "paid_at": iso(o.paid_at)} for o in self.orphans
            ],
            "drift": [
                {
                    "id": d.id,
                    "uid": d.uid,
                    "field": d.field,
                    "recorded": d.recorded,
                    "gateway": d.gateway,
                }
                for d in self.drift
            ],
            "unknown": [{"id": u.id, "uid": u.uid} for u in self.unknown],
            "repaired": list(self.repaired),
            "cancelled": list(self.cancelled),
        }


@dataclass(frozen=True)
class Recorded:
    """What a history says, read in one short transaction and compared afterwards."""

    id: str
    uid: str
    store_id: str
    fields: dict[str, Any]


def reconcile(
    runtime: Runtime,
    vendor_code: str,
    since: datetime,
    until: datetime,
    *,
    store_id: str | None = None,
    repair: bool = False,
    cancel_older_than: timedelta | None = None,
    progress: Progress = lambda done: None,
) -> Report:
    """Compare the gateway's payments of [since, until) with the histories, and act.

    Raises `BadRequest` for an unknown vendor, `ListingUnsupported`, or a `GatewayError` when
    the list itself cannot be read; failures of single look-ups, repairs or cancels are
    collected in `Report.errors`.
    """
    try:
        vendor = runtime.vendors.get(vendor_code)
    except UnknownVendor:
        loaded = ", ".join(runtime.vendors.codes) or "none"
        raise BadRequest(f"Unknown vendor {vendor_code!r} (loaded: {loaded}).") from None
    if not vendor.can_list:
        raise ListingUnsupported(vendor.code)
    report = Report(vendor.code, store_id, since, until)

    # 1. The gateway's list (most of the time on long windows).
    listed: dict[str, ListedPayment] = {}
    for item in vendor.list_payments(store_id or "", since, until):
        listed.setdefault(item.uid, item)
        if item.progress is not None:
            progress(0.8 * item.progress)
    progress(0.8)

    # 2. Our side: histories of the window, and any history or claim of a listed uid.
    recorded, in_flight = _load(runtime, vendor, store_id, since, until, set(listed))

    # 3. Compare; histories the list did not name are looked up one by one.
    gateway: dict[str, PaymentSummary] = {
        uid: vendor.summarize(i.payment) for uid, i in listed.items()
    }
    missing = [r for r in recorded.values() if r.uid not in listed]
    for position, record in enumerate(missing):
        try:
            payment = vendor.fetch_payment(record.store_id, record.uid)
        except GatewayRejected as error:
            if error.status == 404:
                report.unknown.append(Unknown(record.id, record.uid))
            else:
                report.errors.append(f"looking up {record.id} ({record.uid}) failed: {error}")
        except GatewayError as error:
            report.errors.append(f"looking up {record.id} ({record.uid}) failed: {error}")
        else:
            gateway[record.uid] = vendor.summarize(payment)
        progress(0.8 + 0.1 * (position + 1) / len(missing))
    report.checked = len(set(listed) | {r.uid for r in recorded.values()})
    for record in recorded.values():
        if record.uid in gateway:
            report.drift.extend(_drift(record, gateway[record.uid]))
    for uid, item in listed.items():
        if uid in recorded:
            continue
        summary = gateway[uid]
        held = summary.price - sum((c.amount for c in summary.cancels), Decimal(0))
        if summary.paid_at is not None and held > 0:
            report.orphans.append(Orphan(uid, item.order_id, held, summary.paid_at))
    report.orphans.sort(key=lambda o: (o.paid_at is None, o.paid_at, o.uid))

    # 4. Act.
    if repair:
        _repair(runtime, vendor, report)
    if cancel_older_than is not None:
        _cancel_orphans(runtime, vendor, report, store_id or "", cancel_older_than, in_flight)
    progress(1.0)
    return report


def _load(
    runtime: Runtime,
    vendor: Vendor,
    store_id: str | None,
    since: datetime,
    until: datetime,
    listed: set[str],
) -> tuple[dict[str, Recorded], dict[str, datetime]]:
    """Confirmed histories (by uid) of the window or of a listed uid, and the time each listed
    uid without a history was claimed by a registration still in flight."""
    recorded: dict[str, Recorded] = {}
    cipher = runtime.settings.keys.history
    with runtime.database.transaction() as session:
        rows = histories.of_window_or_listed(session, vendor.code, store_id, since, until, listed)
        for row in rows:
            recorded[row.vendor_uid] = _recorded(vendor, row, cipher)
        claimed = claims.since(session, vendor.code, listed - recorded.keys())
    return recorded, claimed


def _recorded(vendor: Vendor, row: Any, cipher: Any) -> Recorded:
    """What the history row says, in the compared fields (read inside its session)."""
    stored = vendor.summarize(cipher.decrypt_json(row.data, place(row, "data")))
    return Recorded(
        row.id,
        row.vendor_uid,
        row.vendor_store_id,
        {
            "status": stored.status,
            "price": row.price,
            "refund": row.refund or Decimal(0),
            "cancels": [c.amount for c in sorted(row.cancels, key=_sequence)],
            "paid_at": iso(row.paid_at),
        },
    )


def drift_of(runtime: Runtime, vendor: Vendor, history_id: str) -> list[Drift]:
    """How one history differs from the gateway's record of it now (a finding's repair
    checks its outcome with this). Raises NotFound, or the gateway's error."""
    with runtime.database.reading() as session:
        row = histories.get(session, history_id)
        if row is None:
            raise NotFound("No payment history found.")
        record = _recorded(vendor, row, runtime.settings.keys.history)
    payment = vendor.fetch_payment(record.store_id, record.uid)
    return list(_drift(record, vendor.summarize(payment)))


def _sequence(cancel: Any) -> int:
    return int(cancel.sequence)


def _drift(record: Recorded, summary: PaymentSummary) -> Iterable[Drift]:
    actual = {
        "status": summary.status,
        "price": summary.price,
        "refund": sum((c.amount for c in summary.cancels), Decimal(0)),
        "cancels": [c.amount for c in summary.cancels],
        "paid_at": iso(summary.paid_at),
    }
    for name in FIELDS:
        mine, theirs = record.fields[name], actual[name]
        if name == "status" and (mine is None or theirs is None):
            continue  # the vendor does not say
        if mine != theirs:
            yield Drift(record.id, record.uid, name, mine, theirs)


def _repair(runtime: Runtime, vendor: Vendor, report: Report) -> None:
    drifted = list(dict.fromkeys((d.id, d.uid) for d in report.drift))
    for history_id, uid in drifted:
        event = {
            "reconciliation": {
                "since": iso(report.since),
                "until": iso(report.until),
                "fields": [d.field for d in report.drift if d.id == history_id],
            }
        }
        notice = WebhookNotice(uid, "reconciliation found the history drifted")
        try:
            outcome = synchronize(runtime, vendor, notice, event, coalesce=False)
        except ServiceError as error:  # the gateway's, or a sync already under way
            report.errors.append(f"repairing {history_id} ({uid}) failed: {error}")
            continue
        if outcome.status == "changed":
            report.repaired.append(history_id)


def _cancel_orphans(
    runtime: Runtime,
    vendor: Vendor,
    report: Report,
    store_id: str,
    older_than: timedelta,
    in_flight: dict[str, datetime],
) -> None:
    now = runtime.clock()
    for orphan in report.orphans:
        if orphan.paid_at is None or now - orphan.paid_at < older_than:
            continue
        claimed = in_flight.get(orphan.uid)
        if claimed is not None and now - claimed < older_than:
            continue  # a registration may still finish it
        # Looked again just before the refund: a service may have registered it meanwhile.
        if _registered_since(runtime, vendor, orphan.uid, now - older_than):
            continue
        try:
            vendor.cancel(
                store_id, orphan.uid, Refund(orphan.order_id, orphan.amount, ORPHAN_CANCEL_REASON)
            )
        except GatewayError as error:
            report.errors.append(f"cancelling orphan {orphan.uid} failed: {error}")
            continue
        report.cancelled.append(orphan.uid)


def _registered_since(runtime: Runtime, vendor: Vendor, uid: str, limit: datetime) -> bool:
    """Whether the uid now has a history, or a registration younger than `limit`."""
    with runtime.database.transaction() as session:
        return claims.registered_since(session, vendor.code, uid, limit)


# -- what the command line reads and prints ---------------------------------------------------


def parse_instant(text: str) -> datetime:
    """An ISO 8601 date or date-time; without an offset it is UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 date-time") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def render_text(report: Report) -> str:
    """The human report: a heading, then one table per kind of finding."""
    store = report.store if report.store is not None else "every store"
    lines = [
        f"{report.vendor} ({store}), {iso(report.since)} to {iso(report.until)}: "
        f"{report.checked} payment(s) checked"
    ]

    def table(title: str, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
        if not rows:
            return
        widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
        lines.extend(["", f"{title} ({len(rows)})"])
        for cells in (header, *rows):
            lines.append("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())

    table(
        "Orphans: paid at the gateway, no record here",
        ("uid", "amount", "paid_at"),
        [(o.uid, dumps(o.amount), iso(o.paid_at) or "-") for o in report.orphans],
    )
    table(
        "Drift: the record differs from the gateway",
        ("id", "uid", "field", "recorded", "gateway"),
        [(d.id, d.uid, d.field, dumps(d.recorded), dumps(d.gateway)) for d in report.drift],
    )
    table(
        "Unknown: recorded here, unknown to the gateway",
        ("id", "uid"),
        [(u.id, u.uid) for u in report.unknown],
    )
    if report.repaired:
        lines.extend(["", f"Repaired (webhooks enqueued): {', '.join(report.repaired)}"])
    if report.cancelled:
        lines.extend(["", f"Cancelled at the gateway: {', '.join(report.cancelled)}"])
    if not report.found:
        lines.extend(["", "Nothing to reconcile."])
    return "\n".join(lines)

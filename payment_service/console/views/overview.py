"""Today at a glance: payments, refunds and refused approvals per hour by vendor (drawn as SVG
on the server), and the webhook backlog."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Blueprint, render_template

from ...api.context import runtime
from ...db.queries import approval_failures, search
from ...delivery.operations import backlog
from .. import sessions
from ..permissions import PAYMENT_READ

HOURS = 24
CHART_HEIGHT = 120


@dataclass(frozen=True)
class Bar:
    hour: str
    count: int
    height: int


@dataclass(frozen=True)
class Series:
    title: str
    bars: list[Bar]
    by_vendor: dict[str, int]

    @property
    def total(self) -> int:
        return sum(bar.count for bar in self.bars)


def _series(title: str, rows: list[tuple[str, datetime]], start: datetime) -> Series:
    per_hour: Counter[int] = Counter()
    by_vendor: Counter[str] = Counter()
    for vendor, at in rows:
        index = int((at - start).total_seconds() // 3600)
        if 0 <= index < HOURS:
            per_hour[index] += 1
            by_vendor[vendor] += 1
    top = max(per_hour.values(), default=0) or 1
    bars = [
        Bar(
            (start + timedelta(hours=index)).strftime("%H:00"),
            per_hour[index],
            round(CHART_HEIGHT * per_hour[index] / top),
        )
        for index in range(HOURS)
    ]
    return Series(title, bars, dict(sorted(by_vendor.items())))


@sessions.requires(PAYMENT_READ)
def overview() -> str:
    now = runtime().clock()
    start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=HOURS - 1)
    with runtime().database.reading() as session:
        paid = search.payments_since(session, start)
        refunded = search.refunds_since(session, start)
        refused = approval_failures.since(session, start)
    pending, failed, oldest = backlog(runtime().database)
    oldest_age = None if oldest is None else int((now - oldest).total_seconds())
    return render_template(
        "console/overview.html",
        series=[
            _series("Payments", paid, start),
            _series("Refunds", refunded, start),
            _series("Approval failures", refused, start),
        ],
        pending=pending,
        failed=failed,
        oldest_age=oldest_age,
        chart_height=CHART_HEIGHT,
    )


def register(blp: Blueprint) -> None:
    blp.add_url_rule("/", "overview", overview)

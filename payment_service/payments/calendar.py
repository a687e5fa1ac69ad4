"""Dates of recurring charges: the periods of a schedule, and ISO-8601 durations for retries.

Month periods keep the anchor's day of the month, or the month's last day when it is shorter
(a schedule started on 31 January charges on 28 or 29 February, 31 March, 30 April, ...):
each period is counted from the anchor, never from the period before, so the day never drifts.
"""

from __future__ import annotations

import calendar
import re
from datetime import datetime, timedelta

EVERY = ("month", "week", "day")
# ISO-8601 durations in exact units (weeks, days, hours, minutes, seconds); months and years
# have no fixed length, so a retry delay is not given in them.
DURATION = re.compile(
    r"^P(?!$)(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)
DEFAULT_RETRIES = ("P1D", "P3D", "P7D")
# A bound on every duration, so no date arithmetic overflows (ten years).
MAX_DURATION = timedelta(days=3660)


def occurrence(anchor: datetime, every: str, sequence: int) -> datetime:
    """When period `sequence` (0 = the anchor itself) of a schedule falls due."""
    if every == "day":
        return anchor + timedelta(days=sequence)
    if every == "week":
        return anchor + timedelta(weeks=sequence)
    if every == "month":
        months = anchor.month - 1 + sequence
        year, month = anchor.year + months // 12, months % 12 + 1
        day = min(anchor.day, calendar.monthrange(year, month)[1])
        return anchor.replace(year=year, month=month, day=day)
    raise ValueError(f"unknown period {every!r}")


def parse_duration(text: str) -> timedelta:
    """An ISO-8601 duration such as `P1D`, `P2W` or `PT12H`; ValueError otherwise."""
    matched = DURATION.match(text)
    if matched is None:
        raise ValueError(f"{text!r} is not an ISO-8601 duration in weeks, days or time")
    parts = {name: int(value) for name, value in matched.groupdict().items() if value}
    duration = timedelta(**parts)
    if duration > MAX_DURATION:
        raise ValueError(f"{text!r} is longer than ten years")
    return duration

"""Schedules: a saved card charged every month, week or day (docs/subscriptions.md)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from .connection import Connection, new_idempotency_key, path_id
from .errors import WebhookDecodeError
from .models import Amount, _list, _money, _opt_dict, _opt_str, _opt_time, _str, _time, amount_input
from .webhooks import KeyPair, _decrypt_with_any, _pair

ScheduleStatus = Literal["active", "past_due", "cancelled"]
PeriodStatus = Literal["pending", "paid", "retrying", "failed", "cancelled"]


@dataclass(frozen=True)
class SchedulePeriod:
    """One period: `paid` (with its payment's `history_id`), `retrying` (declined, tried again
    at `next_attempt_at`), `failed` (declined after the last retry), `pending` (due, being
    charged) or `cancelled`. `error` is the last decline's `{code, message}`."""

    id: str
    sequence: int
    due_at: datetime
    status: PeriodStatus
    attempts: int
    next_attempt_at: datetime | None
    history_id: str | None
    error: dict[str, Any] | None

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> SchedulePeriod:
        return cls(
            id=_str(raw, "id"),
            sequence=int(raw["sequence"]),
            due_at=_time(raw, "due_at"),
            status=raw["status"],
            attempts=int(raw["attempts"]),
            next_attempt_at=_opt_time(raw, "next_attempt_at"),
            history_id=_opt_str(raw, "history_id"),
            error=_opt_dict(raw, "error"),
        )


@dataclass(frozen=True)
class Schedule:
    id: str
    reservation_id: str
    price: Decimal
    title: str
    every: str
    first_at: datetime
    next_at: datetime | None
    status: ScheduleStatus
    retries: tuple[str, ...]
    webhook_url: str
    created_at: datetime
    cancelled_at: datetime | None
    periods: tuple[SchedulePeriod, ...]
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Schedule:
        return cls(
            id=_str(raw, "id"),
            reservation_id=_str(raw, "reservation_id"),
            price=_money(raw, "price"),
            title=_str(raw, "title"),
            every=_str(raw, "every"),
            first_at=_time(raw, "first_at"),
            next_at=_opt_time(raw, "next_at"),
            status=raw["status"],
            retries=tuple(_list(raw, "retries")),
            webhook_url=_str(raw, "webhook_url"),
            created_at=_time(raw, "created_at"),
            cancelled_at=_opt_time(raw, "cancelled_at"),
            periods=tuple(SchedulePeriod.from_dict(item) for item in _list(raw, "periods")),
            raw=dict(raw),
        )


@dataclass(frozen=True)
class ScheduleWebhook:
    """An event of a schedule posted to its `webhook_url`: `schedule.declined` (a period's
    charge was declined: `period` says when it is tried again, or that it failed) or
    `schedule.status` (`previous_status` → `schedule.status`). Its paid periods arrive as
    ordinary payment webhooks (`decode_webhook`)."""

    id: str
    type: Literal["schedule.declined", "schedule.status"]
    previous_status: str
    schedule: Schedule
    period: SchedulePeriod | None

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ScheduleWebhook:
        kind = raw["type"]
        if kind not in ("schedule.declined", "schedule.status"):
            raise ValueError(f"unknown schedule event {kind!r}")
        period = raw.get("period")
        return cls(
            id=_str(raw, "id"),
            type=kind,
            previous_status=str(raw["previous"]["status"]),
            schedule=Schedule.from_dict(raw["schedule"]),
            period=SchedulePeriod.from_dict(period) if period else None,
        )


def decode_schedule_webhook(
    body: str | bytes, key: str, iv: str, previous_keys: Sequence[KeyPair] = ()
) -> ScheduleWebhook:
    """Decrypt and parse a schedule's event, as `decode_webhook` does a payment's; raises
    `WebhookDecodeError` when it does not decrypt or is not a schedule event."""
    payload = _decrypt_with_any(body, [(key, iv), *(_pair(p) for p in previous_keys)])
    try:
        return ScheduleWebhook.from_dict(payload)
    except (KeyError, ValueError, TypeError) as error:
        raise WebhookDecodeError(f"the webhook body is not a schedule event: {error}") from None


class Schedules:
    """``client.schedules``: create, read and cancel schedules of saved-card charges."""

    def __init__(self, connection: Connection):
        self._connection = connection

    def create(
        self,
        reservation_id: str | UUID,
        *,
        password: str,
        price: Amount,
        title: str,
        every: Literal["month", "week", "day"],
        first_at: datetime,
        webhook_url: str,
        retries: Sequence[str] | None = None,
        idempotency_key: str | None = None,
    ) -> Schedule:
        """Charge the reservation's saved card `price` every `every` from `first_at` (an
        aware datetime); `retries`: ISO-8601 durations after a period's due time at which a
        declined period is tried again (the server's default: ``["P1D", "P3D", "P7D"]``)."""
        body: dict[str, Any] = {
            "password": password,
            "price": amount_input(price),
            "title": title,
            "every": every,
            "first_at": first_at.isoformat(),
            "webhook_url": webhook_url,
        }
        if retries is not None:
            body["retries"] = list(retries)
        return self._connection.call(
            "POST",
            f"/payments/reservations/{path_id(reservation_id)}/schedules",
            Schedule.from_dict,
            status=201,
            body=body,
            idempotency_key=idempotency_key or new_idempotency_key(),
        )

    def get(self, id: str | UUID, *, password: str) -> Schedule:
        """The schedule and its periods (``PATCH /payments/schedules/{id}``)."""
        return self._connection.call(
            "PATCH",
            f"/payments/schedules/{path_id(id)}",
            Schedule.from_dict,
            status=200,
            body={"password": password},
        )

    def cancel(self, id: str | UUID, *, password: str) -> Schedule:
        """Stop the schedule (``PUT /payments/schedules/{id}/cancel``); safe to repeat."""
        return self._connection.call(
            "PUT",
            f"/payments/schedules/{path_id(id)}/cancel",
            Schedule.from_dict,
            status=200,
            body={"password": password},
        )

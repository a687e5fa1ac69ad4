"""What an adopted database must hold: every row of the original, unchanged where payment-service
keeps what the original kept, and read by payment-service exactly as the original answered."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from sqlalchemy import select, text

from payment_service.db import (
    Database,
    PaymentHistory,
    PaymentHistoryCancel,
    PaymentHistoryWebhook,
    PaymentHistoryWebhookResponse,
    PaymentReservation,
)
from payment_service.db.migrate import current_revision, head_revision
from payment_service.db.places import place
from payment_service.payments.views import history_view, reservation_view
from payment_service.settings import Settings
from payment_service.wire import dumps

from .original import SCHEMA, Original, decrypt, environment


def settings_of(url: str) -> Settings:
    return Settings.load(environ=environment(url), env_file=None)


def as_json(value: Any) -> Any:
    """A value as a client parses it from the wire."""
    return json.loads(dumps(value))


def counts(url: str) -> dict[str, int]:
    database = Database(url, SCHEMA)
    with database.reading() as session:
        found = {
            table: session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in Original().counts
        }
    database.dispose()
    return found


def assert_adopted(url: str, original: Original) -> None:
    """The database at `url` is adopted, at head, and holds `original` as the original did."""
    settings = settings_of(url)
    keys = settings.keys
    database = Database(url, SCHEMA)
    assert current_revision(database) == head_revision()
    with database.reading() as session:
        histories = {row.id: row for row in session.scalars(select(PaymentHistory))}
        assert histories.keys() == original.histories.keys()
        for history_id, row in histories.items():
            # The original's answer, and its stored gateway record byte for byte.
            assert as_json(history_view(row, keys.history)) == original.history(history_id)
            assert keys.history.decrypt(row.data, place(row, "data")) == original.history_data(
                history_id
            )
            assert row.password == original.histories[history_id]["password"]
            assert row.confirmed_at == row.created_at

        cancels = session.scalars(select(PaymentHistoryCancel)).all()
        assert len(cancels) == sum(len(c) for c in original.cancels.values())
        for row in cancels:
            [raw] = [c for c in original.cancels[row.payment_history_id] if c["id"] == row.id]
            assert row.amount == Decimal(repr(raw["amount"]))
            assert (row.reason, row.created_at) == (raw["reason"], raw["created_at"])
            opened = keys.cancel_history.decrypt(row.data, place(row, "data"))
            assert opened == decrypt("CANCEL_HISTORY", raw["data"])
            # Numbered in the gateway's order, from 0.
            assert row.sequence == original.cancels[row.payment_history_id].index(raw)

        reservations = {row.id: row for row in session.scalars(select(PaymentReservation))}
        assert reservations.keys() == original.reservations.keys()
        for reservation_id, row in reservations.items():
            view = reservation_view(row, keys.reservation)
            assert as_json(view) == original.reservation(reservation_id)
            assert row.password == original.reservations[reservation_id]["password"]

        webhooks = {row.id: row for row in session.scalars(select(PaymentHistoryWebhook))}
        assert webhooks.keys() == original.webhooks.keys()
        for webhook_id, row in webhooks.items():
            raw = original.webhooks[webhook_id]
            for column in ("previous", "current", "data"):
                assert keys.webhook.decrypt(getattr(row, column), place(row, column)) == raw[column]
            assert (row.payment_history_id, row.created_at) == (
                raw["payment_history_id"],
                raw["created_at"],
            )
            answers = [
                r
                for r in original.responses.values()
                if r["payment_history_webhook_id"] == webhook_id
            ]
            delivered = [r["created_at"] for r in answers if 200 <= (r["status"] or 0) < 300]
            assert row.attempts == len(answers)
            assert row.status == ("delivered" if delivered else "failed")
            assert row.delivered_at == (min(delivered) if delivered else None)

        responses = session.scalars(select(PaymentHistoryWebhookResponse)).all()
        assert len(responses) == len(original.responses)
        for row in responses:
            raw = original.responses[row.id]
            assert (row.payment_history_webhook_id, row.status, row.body, row.created_at) == (
                raw["payment_history_webhook_id"],
                raw["status"],
                raw["body"],
                raw["created_at"],
            )
    database.dispose()
    assert counts(url) == original.counts

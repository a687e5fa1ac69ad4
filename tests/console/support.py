"""Driving the console through Flask's test client as a browser would: forms with their CSRF
token, the session cookie kept between requests."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from werkzeug.test import TestResponse

from payment_service.client import PaymentClient
from payment_service.console import audit, operators
from payment_service.db import PaymentHistory, PaymentHistoryWebhook
from payment_service.runtime import Runtime, utcnow
from payment_service.testing import PaymentBackend
from tests.support.payments import register

PASSWORD = "correct horse battery staple"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
SUBMISSION_KEY = re.compile(r'name="submission_key" value="([^"]+)"')


def add_operator(runtime: Runtime, email: str, role: str) -> None:
    operators.add(runtime.database, email, role, PASSWORD, utcnow())


def actions(runtime: Runtime) -> list[tuple[str | None, str, str | None, str]]:
    """(operator, action, target, outcome) of every audit entry, the oldest first."""
    entries = audit.entries(runtime.database)
    return [(e.operator, e.action, e.target, e.outcome) for e in reversed(entries)]


@dataclass
class Console:
    """One browser's session of the console."""

    app: Flask
    http: FlaskClient
    csrf: str | None = None

    @classmethod
    def of(cls, app: Flask) -> Console:
        return cls(app, app.test_client())

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.extensions["payment_service"]
        return runtime

    def token(self) -> str:
        """The session's CSRF token, as every form of the console carries it."""
        page = self.http.get("/console/login")
        found = TOKEN.search(page.text)
        assert found, page.text
        return found.group(1)

    def login(self, email: str, password: str = PASSWORD) -> TestResponse:
        data = {"email": email, "password": password, "csrf_token": self.token()}
        answer = self.http.post("/console/login", data=data)
        # A login starts a new session, with a CSRF token of its own.
        self.csrf = self.token() if answer.status_code == 303 else None
        return answer

    def logged_in(self, email: str) -> Console:
        answer = self.login(email)
        assert answer.status_code == 303, answer.text
        return self

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> TestResponse:
        """A form POST with the session's CSRF token (one per session, as the forms carry)."""
        token = self.csrf or self.token()
        return self.http.post(path, data={"csrf_token": token, **(data or {})}, **kwargs)

    def later(self, seconds: float) -> None:
        """Move the server's clock `seconds` ahead (sessions read only `runtime.clock`)."""
        start: datetime = self.runtime.clock()
        self.runtime.clock = lambda: start + timedelta(seconds=seconds)


IAMPORT_STORE = "test-iamport-create-id"


def pay(
    backend: PaymentBackend, receiver_url: str, price: int = 20000, table: str = "orders"
) -> tuple[str, str]:
    """A card payment at the iamport fake, registered as a service does: (id, gateway uid)."""
    order_id = str(uuid.uuid4())
    uid = backend.customer.pay_by_card("iamport", price, order_id)
    source = {"schema": "shop", "table": table, "id": order_id}
    with PaymentClient(backend.url, backend.key, backend.iv) as client:
        history = register(
            client,
            ("iamport", IAMPORT_STORE, uid),
            source,
            password="the shop's password",
            webhook_url=receiver_url,
            price=price,
        )
    return history.id, uid


def stored_payment(backend: PaymentBackend, history_id: str) -> PaymentHistory:
    with backend.runtime.database.reading() as session:
        row = session.get(PaymentHistory, history_id)
        assert row is not None
        session.expunge(row)
        return row


def webhook_states(backend: PaymentBackend, history_id: str) -> list[tuple[str, int]]:
    """(status, attempts) of the payment's outgoing webhooks, the oldest first."""
    with backend.runtime.database.reading() as session:
        query = (
            select(PaymentHistoryWebhook.status, PaymentHistoryWebhook.attempts)
            .where(PaymentHistoryWebhook.payment_history_id == history_id)
            .order_by(PaymentHistoryWebhook.created_at)
        )
        return [(status, attempts) for status, attempts in session.execute(query)]


def fail_webhooks(backend: PaymentBackend, history_id: str) -> None:
    """Give up on the payment's webhooks, as the dispatcher does once their deadline passed."""
    with backend.runtime.database.transaction() as session:
        session.execute(
            update(PaymentHistoryWebhook)
            .where(PaymentHistoryWebhook.payment_history_id == history_id)
            .values(status="failed", last_error="receiver answered 500")
        )

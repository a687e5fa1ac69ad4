"""`FakeIamport`: one fake iamport server, its state, and the hooks tests drive it with."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask

from fake_servers.common.clock import FakeClock
from fake_servers.common.server import Lifecycle, ServerThread
from fake_servers.common.store import Expiration
from fake_servers.common.validation import Schema, require

from . import payments, schemas
from .app import create_app
from .auth import issue_token
from .certifications import request_otp
from .state import Record, State
from .subscriptions import register_card
from .webhooks import last_webhook, webhooks_for

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 10851
DEFAULT_CREDENTIALS = {"test_imp_key": "test_imp_secret"}
TEST_CARD_NUMBER = "1111-2222-3333-4444"
TEST_EXPIRY = "2028-12"
TEST_BIRTH = "880311"
TEST_PERSON = {
    "name": "홍길동",
    "phone": "010-1111-2222",
    "birth": "19880311",
    "gender_digit": "1",
    "carrier": "LGT",
}
WEEK_SECONDS = 7 * 24 * 60 * 60


class FakeIamport(Lifecycle):
    """A fake iamport REST API, served from a background thread once started.

    `port=0` picks a free port. Webhooks go to a payment's `notice_url`, else to `webhook_url`,
    which defaults to the fake's own `/internal/webhook` sink and may be changed at any time.

    Besides HTTP, the methods below act on the same state as the routes do (same validation,
    same rules, same webhooks) and return what the API would put in `response`.
    """

    def __init__(
        self,
        host: str = DEFAULT_HOST,
        port: int = 0,
        webhook_url: str | None = None,
        expiration: Expiration | None = None,
        credentials: Mapping[str, str] | None = None,
        clock: FakeClock | None = None,
    ):
        self.host = host
        self._webhook_url = webhook_url
        # Records expire by the fake's clock too, unless `expiration` brings a clock of its own.
        clock = clock if clock is not None else FakeClock()
        self.state = State(
            expiration if expiration is not None else Expiration(clock=clock.timestamp),
            credentials if credentials is not None else DEFAULT_CREDENTIALS,
            lambda: self.webhook_url,
            clock,
        )
        self.app: Flask = create_app(self)
        self._server = ServerThread(self.app, host, port)

    # ------------------------------------------------------------------ serving

    @property
    def clock(self) -> FakeClock:
        """The fake's wall time; tests `advance()` it instead of sleeping."""
        return self.state.clock

    @property
    def port(self) -> int:
        return self._server.port

    @property
    def url(self) -> str:
        """Where clients reach the fake, e.g. `http://127.0.0.1:10851` (known once started)."""
        if self._server.port == 0:
            raise RuntimeError("the fake iamport has no port until it is started")
        host = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(self.host, self.host)
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    @property
    def webhook_url(self) -> str:
        """The webhook target of payments created without a `notice_url`."""
        return self._webhook_url or f"{self.url}/internal/webhook"

    @webhook_url.setter
    def webhook_url(self, value: str | None) -> None:
        self._webhook_url = value

    def start(self) -> FakeIamport:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()
        self.state.sender.close()

    # ------------------------------------------------------------------ test hooks

    def reset(self) -> None:
        """Forget every token, payment, card, certification, receipt and webhook."""
        self.state.clear()

    def set_expiration(self, seconds: float | None = None, capacity: int | None = None) -> None:
        """Change how long records live and how many each collection keeps (3 min, 1000).

        Takes effect at the next insert into each collection, where eviction happens.
        """
        if seconds is not None:
            self.state.expiration.seconds = seconds
        if capacity is not None:
            self.state.expiration.capacity = capacity

    def set_list_limit(self, limit: int) -> None:
        """Cap the page size of `GET /payments/status/...` (100, as iamport) to test paging."""
        self.state.list_limit = max(1, limit)

    def backdate(self, imp_uid: str, seconds: float) -> dict[str, Any]:
        """Move every time of a payment `seconds` into the past, as if it had happened then
        (its start, payment, refunds; the 3-minute storage lifetime is not affected)."""
        with self.state.lock:
            payment = self.state.payments.get(imp_uid)
            payment.started_at -= seconds
            for name in ("paid_at", "failed_at", "cancelled_at"):
                if getattr(payment, name):
                    setattr(payment, name, getattr(payment, name) - seconds)
            for entry in payment.cancel_history:
                entry.cancelled_at -= seconds
            return payment.to_json()

    def last_webhook(self) -> dict[str, Any] | None:
        """The latest webhook of the payment notified first most recently (the original's view)."""
        webhook = last_webhook(self.state)
        return None if webhook is None else webhook.to_json()

    def webhooks_for(self, imp_uid: str) -> list[dict[str, Any]]:
        """Every webhook body sent for one payment, oldest first."""
        return [webhook.to_json() for webhook in webhooks_for(self.state, imp_uid)]

    def drain_webhooks(self, timeout: float = 5) -> bool:
        """Wait until every webhook queued so far was attempted; False on timeout."""
        return self.state.sender.drain(timeout)

    # ------------------------------------------------------------------ shortcuts

    def issue_token(self) -> str:
        """A fresh access token (for the `Authorization` header) of the first credentials."""
        imp_key, imp_secret = next(iter(self.state.credentials.items()))
        accessor = {"imp_key": imp_key, "imp_secret": imp_secret}
        return issue_token(self.state, accessor).access_token

    def pay_by_card(
        self, amount: float, merchant_uid: str, *, name: str = "Fake 주문", **extra: Any
    ) -> dict[str, Any]:
        """A paid card payment, as `POST /subscribe/payments/onetime` makes it.

        `extra` takes any other field of that route (customer_uid to save the card, notice_url,
        currency, buyer_*, ...); the card number, expiry and birth have test defaults.
        """
        order = {
            "card_number": TEST_CARD_NUMBER,
            "expiry": TEST_EXPIRY,
            "birth": TEST_BIRTH,
            "merchant_uid": merchant_uid,
            "amount": amount,
            "name": name,
            **extra,
        }
        return self._payment(payments.pay_by_card, schemas.ONETIME, order)

    def pay_again(
        self,
        customer_uid: str,
        amount: float,
        merchant_uid: str,
        *,
        name: str = "Fake 주문",
        **extra: Any,
    ) -> dict[str, Any]:
        """A paid charge of a saved card, as `POST /subscribe/payments/again` makes it."""
        order = {
            "customer_uid": customer_uid,
            "merchant_uid": merchant_uid,
            "amount": amount,
            "name": name,
            **extra,
        }
        return self._payment(payments.pay_again, schemas.AGAIN, order)

    def register_card(self, customer_uid: str, **extra: Any) -> dict[str, Any]:
        """Save a card for `customer_uid`, as `POST /subscribe/customers/:customer_uid` does."""
        card = {
            "customer_uid": customer_uid,
            "card_number": TEST_CARD_NUMBER,
            "expiry": TEST_EXPIRY,
            "birth": TEST_BIRTH,
            **extra,
        }
        card = require(schemas.SUBSCRIPTION_CREATE, card)
        return self.state.snapshot(register_card(self.state, customer_uid, card))

    def issue_vbank(
        self, amount: float, merchant_uid: str, *, vbank_code: str = "088", **extra: Any
    ) -> dict[str, Any]:
        """A virtual account waiting (`ready`) for a deposit, due in a week unless `vbank_due`."""
        order = {
            "merchant_uid": merchant_uid,
            "amount": amount,
            "vbank_code": vbank_code,
            "vbank_due": round(self.state.clock.seconds()) + WEEK_SECONDS,
            "vbank_holder": "홍길동",
            **extra,
        }
        return self._payment(payments.issue_vbank, schemas.VBANK_CREATE, order)

    def deposit(self, imp_uid: str) -> dict[str, Any]:
        """The customer pays into the virtual account: it becomes `paid`, a webhook is sent."""
        return self.state.snapshot(payments.deposit(self.state, imp_uid))

    def cancel(
        self,
        imp_uid: str,
        amount: float | None = None,
        *,
        reason: str = "test refund",
        checksum: float | None = None,
        merchant_uid: str = "",
        **extra: Any,
    ) -> dict[str, Any]:
        """Refund `amount` (all that is left if None), as `POST /payments/cancel` does.

        Virtual accounts need `refund_holder`, `refund_bank` and `refund_account` in `extra`.
        """
        request: dict[str, Any] = {
            "imp_uid": imp_uid,
            "merchant_uid": merchant_uid,
            "checksum": checksum,
            "reason": reason,
            **extra,
        }
        if amount is not None:
            request["amount"] = amount
        return self._payment(payments.cancel, schemas.CANCEL, request)

    def payment(self, imp_uid: str) -> dict[str, Any]:
        """The payment as `GET /payments/:imp_uid` shows it."""
        return self.state.snapshot(payments.find_payment(self.state, imp_uid))

    def request_certification(self, **person: Any) -> dict[str, Any]:
        """Start an OTP verification and return it whole, OTP (`__otp`) included.

        `person` overrides the test defaults of `POST /certifications/otp/request`.
        """
        person = require(schemas.CERTIFICATION_CREATE, {**TEST_PERSON, **person})
        return self.state.snapshot(request_otp(self.state, person))

    def _payment(
        self,
        operation: Callable[[State, dict[str, Any]], Record],
        schema: Schema,
        body: dict[str, Any],
    ) -> dict[str, Any]:
        return self.state.snapshot(operation(self.state, require(schema, body)))

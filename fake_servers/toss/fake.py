"""`FakeToss`: one fake Toss Payments server, its settings, lifecycle and test hooks."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask

from fake_servers.common.clock import FakeClock
from fake_servers.common.server import ServedFake
from fake_servers.common.store import Expiration
from fake_servers.common.validation import require

from . import billing, cash_receipts, payments, records, schemas, transactions
from .app import create_app
from .auth import DEFAULT_SECRET_KEY
from .records import Json
from .state import TossState

DEFAULT_PORT = 30771
DEFAULT_CARD_NUMBER = "1111222233334444"


class FakeToss(ServedFake):
    """A wire-compatible fake of the Toss Payments API.

    `port=0` picks a free port at `start()`. Webhooks go to `webhook_url`; while it is None they
    go to the fake's own receiver, `<url>/internal/webhook`. `secret_keys` are the accepted
    merchant secret keys. All stores share `expiration`, which may be changed at run time.

    Besides HTTP, the fake offers plain methods for tests (`pay_by_card`, `deposit`, ...). They
    run the same validation and behaviour as the routes, without authentication, and raise the
    routes' errors (`fake_servers.common.http.HttpError` or `RawError`).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        webhook_url: str | None = None,
        expiration: Expiration | None = None,
        secret_keys: Iterable[str] | None = None,
        clock: FakeClock | None = None,
    ):
        super().__init__(host, port, webhook_url, expiration, clock)
        self.secret_keys: set[str] = (
            set(secret_keys) if secret_keys is not None else {DEFAULT_SECRET_KEY}
        )
        self.state = TossState(self.expiration, self._deliver, self.clock)
        self.app: Flask = create_app(self)

    def accepts(self, secret_key: str) -> bool:
        """Whether `secret_key` is one of the accepted merchant secret keys."""
        return secret_key in self.secret_keys

    # ---- test hooks ------------------------------------------------------------------------

    def set_expiration(self, seconds: float | None = None, capacity: int | None = None) -> None:
        """Change the records' lifetime and the stores' capacity (None keeps a value).

        Stores apply it at their next insert: expired records stay readable until then.
        """
        if seconds is not None:
            self.expiration.seconds = seconds
        if capacity is not None:
            self.expiration.capacity = capacity

    def set_list_limit(self, limit: int) -> None:
        """Cap the page size of `GET /v1/transactions` (10000, as Toss) to test paging."""
        self.state.list_limit = max(1, limit)

    def backdate(self, payment_key: str, seconds: float) -> Json:
        """Move every time of a payment and of its transactions `seconds` into the past, as if
        it had happened then (the 3-minute storage lifetime is not affected)."""
        with self.state.lock:
            payment = self.state.payments.get(payment_key)
            for name in ("requestedAt", "approvedAt"):
                if payment[name] is not None:
                    payment[name] = records.shift_iso(payment[name], seconds)
            for entry in payment["cancels"] or ():
                entry["canceledAt"] = records.shift_iso(entry["canceledAt"], seconds)
            transactions.backdate(self.state, payment_key, seconds)
            return records.snapshot(payment)

    def _deliver(self, webhook: Json) -> None:
        url = self.webhook_url
        # Before start there is no own receiver to post to; the webhook stays recorded only.
        if url is not None:
            self._sender.send(url, webhook)

    # ---- in-process shortcuts (no HTTP, no authentication) ---------------------------------

    def payment(self, payment_key: str) -> Json:
        """The stored payment, as `GET /v1/payments/{paymentKey}` answers it."""
        return payments.at(self.state, payment_key)

    def pay_by_card(
        self,
        amount: float,
        order_id: str,
        approved: bool = True,
        card_number: str = DEFAULT_CARD_NUMBER,
        installment_months: int | None = None,
        order_name: str | None = None,
    ) -> Json:
        """A key-in card payment; `approved=False` leaves it `IN_PROGRESS` for `approve`."""
        input: Json = {
            "method": "card",
            "cardNumber": card_number,
            "cardExpirationYear": "28",
            "cardExpirationMonth": "12",
            "amount": amount,
            "orderId": order_id,
            "__approved": approved,
        }
        if installment_months is not None:
            input["cardInstallmentPlan"] = installment_months
        if order_name is not None:
            input["orderName"] = order_name
        return payments.key_in(self.state, require(schemas.CARD_PAYMENT_CREATE, input))

    def approve(self, payment_key: str, order_id: str, amount: float) -> Json:
        """Approve a payment, as a payment server does after the checkout popup."""
        input = {"orderId": order_id, "amount": amount}
        return payments.approve(self.state, payment_key, require(schemas.APPROVAL, input))

    def cancel(self, payment_key: str, reason: str = "test", amount: float | None = None) -> Json:
        """Refund `amount`, or the whole remaining balance when None."""
        input: Json = {"paymentKey": payment_key, "cancelReason": reason}
        if amount is not None:
            input["cancelAmount"] = amount
        return payments.cancel(
            self.state, payment_key, require(schemas.PAYMENT_CANCEL_CREATE, input)
        )

    def issue_virtual_account(
        self,
        amount: float,
        order_id: str,
        bank: str = "신한",
        customer_name: str = "홍길동",
        order_name: str = "test",
    ) -> Json:
        """A virtual account waiting for its deposit (sends `WAITING_FOR_DEPOSIT`)."""
        input = {
            "method": "virtual-account",
            "orderId": order_id,
            "orderName": order_name,
            "bank": bank,
            "customerName": customer_name,
            "amount": amount,
        }
        return payments.create_virtual_account(
            self.state, require(schemas.VIRTUAL_ACCOUNT_CREATE, input)
        )

    def deposit(self, payment_key: str) -> Json:
        """The customer pays into the virtual account (sends `DONE`)."""
        return payments.deposit(self.state, payment_key)

    def register_billing(
        self,
        customer_key: str,
        card_number: str = DEFAULT_CARD_NUMBER,
        birthday: str = "880311",
    ) -> Json:
        """Register a card for billing; returns the `ITossBilling` with its `billingKey`."""
        input = {
            "customerKey": customer_key,
            "cardNumber": card_number,
            "cardExpirationYear": "28",
            "cardExpirationMonth": "12",
            "cardPassword": "00",
            "customerBirthday": birthday,
        }
        return billing.register(self.state, require(schemas.BILLING_CREATE, input))

    def pay_by_billing(self, billing_key: str, amount: float, order_id: str) -> Json:
        """Charge a registered card; the payment is `DONE` at once."""
        registered = self.state.billings.get(billing_key).record
        input = {
            "method": "billing",
            "billingKey": billing_key,
            "customerKey": registered["customerKey"],
            "orderId": order_id,
            "amount": amount,
        }
        return billing.pay(self.state, billing_key, require(schemas.BILLING_PAYMENT_STORE, input))

    def issue_cash_receipt(
        self,
        payment_key: str,
        amount: float | None = None,
        type: str = "소득공제",
        registration_number: str = "8803111******",
    ) -> Json:
        """Issue a cash receipt for a payment, for its whole amount unless `amount` is given."""
        payment = self.payment(payment_key)
        input = {
            "type": type,
            "paymentKey": payment_key,
            "orderId": payment["orderId"],
            "orderName": payment["orderName"],
            "registrationNumber": registration_number,
            "amount": payment["totalAmount"] if amount is None else amount,
        }
        return cash_receipts.issue(self.state, require(schemas.CASH_RECEIPT_CREATE, input))

    def cancel_cash_receipt(self, receipt_key: str) -> Json:
        """Cancel a cash receipt; its payment stops carrying it."""
        return cash_receipts.cancel(self.state, receipt_key)

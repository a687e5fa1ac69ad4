"""Payments: the customer's side (card, virtual account, deposit), look-ups, cancels and
payments with a billing key.

Every function validates its input (400 `INVALID_REQUEST`), changes the state under its lock,
announces the change as a webhook, and returns a private copy of what it answers.
"""

from __future__ import annotations

from collections.abc import Callable

from fake_servers.common.clock import FakeClock

from . import records, validation
from .errors import PortOneError, invalid_request
from .records import DEFAULT_CARD_NUMBER, VIRTUAL_ACCOUNT_METHOD, Json
from .state import PortOneState

EVENTS = {"PAID": "Transaction.Paid", "VIRTUAL_ACCOUNT_ISSUED": "Transaction.VirtualAccountIssued"}


def at(state: PortOneState, payment_id: str, store_id: str | None) -> Json:
    with state.lock:
        return records.snapshot(state.payment(payment_id, store_id))


def _event_data(payment: Json) -> Json:
    return {
        "paymentId": payment["id"],
        "storeId": payment["storeId"],
        "transactionId": payment["transactionId"],
    }


def _store(state: PortOneState, payment: Json, skip_webhook: bool = False) -> Json:
    """Record a new payment, refusing an id that is already paid or waiting for a deposit."""
    existing = state.payments.find(payment["id"])
    if existing is not None and existing["status"] not in ("READY", "FAILED"):
        raise PortOneError("ALREADY_PAID", f"이미 결제된 결제 건입니다: {payment['id']}")
    state.payments.set(payment["id"], payment)
    state.emit(EVENTS[payment["status"]], _event_data(payment), skip=skip_webhook)
    return records.snapshot(payment)


def _checkout(
    state: PortOneState,
    payment_id: str,
    input: Json,
    default_store: str,
    status: str,
    method: Callable[[Json, FakeClock], Json],
) -> Json:
    """Store a payment made in the checkout window: the fields every method shares are checked
    first (storeId, amount, orderName, currency, customer, customData), then
    `method(input, clock)`."""
    fields = _window_fields(input, default_store)
    payment = records.payment(
        payment_id=payment_id,
        status=status,
        method=method(input, state.clock),
        clock=state.clock,
        **fields,
    )
    with state.lock:
        return _store(state, payment)


def _window_fields(input: Json, default_store: str) -> Json:
    return {
        "store_id": validation.string(input, "storeId", required=False) or default_store,
        "total": validation.integer(input, "amount", minimum=1),
        "order_name": validation.string(input, "orderName", required=False) or "test",
        "currency": validation.string(input, "currency", required=False) or "KRW",
        "customer": records.customer(validation.child(input, "customer", required=False)),
        "custom_data": validation.string(input, "customData", required=False),
    }


def fail_in_window(
    state: PortOneState, payment_id: str, input: Json, default_store: str, failure: Json
) -> Json:
    """What a checkout window that took no money leaves: a FAILED payment whose `failure` says
    why (its paymentId may be paid with later, as at PortOne). No webhook."""
    payment = records.payment(
        payment_id=payment_id,
        status="FAILED",
        method=_card(input, state.clock),
        clock=state.clock,
        **_window_fields(input, default_store),
    )
    records.mark_failed(payment, failure, state.clock)
    with state.lock:
        existing = state.payments.find(payment_id)
        if existing is not None and existing["status"] not in ("READY", "FAILED"):
            raise PortOneError("ALREADY_PAID", f"이미 결제된 결제 건입니다: {payment_id}")
        state.payments.set(payment_id, payment)
        return records.snapshot(payment)


def pay_by_card(state: PortOneState, payment_id: str, input: Json, default_store: str) -> Json:
    """The customer pays by card in the checkout window for the merchant's `paymentId`."""
    return _checkout(state, payment_id, input, default_store, "PAID", _card)


def _card(input: Json, _clock: FakeClock) -> Json:
    number = validation.string(input, "cardNumber", required=False) or DEFAULT_CARD_NUMBER
    months = validation.integer(input, "installmentMonth", required=False, minimum=0) or 0
    return records.card_method(number, months)


def issue_virtual_account(
    state: PortOneState, payment_id: str, input: Json, default_store: str
) -> Json:
    """The customer chooses a bank transfer: an account is issued and waits for the deposit."""
    return _checkout(
        state, payment_id, input, default_store, "VIRTUAL_ACCOUNT_ISSUED", _virtual_account
    )


def _virtual_account(input: Json, clock: FakeClock) -> Json:
    bank = validation.string(input, "bank", required=False) or "SHINHAN"
    remittee = validation.string(input, "remitteeName", required=False) or "포트원"
    return records.virtual_account_method(bank, remittee, clock)


def deposit(state: PortOneState, payment_id: str) -> Json:
    """The customer transfers the money into the virtual account: the payment becomes PAID."""
    with state.lock:
        payment = state.payment(payment_id)
        if payment["status"] != "VIRTUAL_ACCOUNT_ISSUED":
            raise PortOneError(
                "PAYMENT_NOT_WAITING_FOR_DEPOSIT", "입금 대기 중인 가상계좌 결제 건이 아닙니다."
            )
        records.mark_paid(payment, records.stamp(state.clock))
        payment["method"]["remitterName"] = payment["customer"].get("name", "입금자")
        state.emit("Transaction.Paid", _event_data(payment))
        return records.snapshot(payment)


def cancel(state: PortOneState, payment_id: str, input: Json) -> Json:
    """Refund `amount`, or all that remains; answers `{"cancellation": ...}`."""
    store_id = validation.string(input, "storeId", required=False)
    reason = validation.string(input, "reason")
    requested = validation.integer(input, "amount", required=False)
    tax_free = validation.integer(input, "taxFreeAmount", required=False, minimum=0) or 0
    expected = validation.integer(input, "currentCancellableAmount", required=False)
    account = validation.child(input, "refundAccount", required=False)
    skip = bool(validation.boolean(input, "skipWebhook"))
    if account is not None:
        for key in ("bank", "number", "holderName"):
            validation.string(account, key, "refundAccount.")
    if requested is not None and requested <= 0:
        raise invalid_request("잘못된 요청입니다: `amount` 필드는 0보다 커야 합니다.")
    assert reason is not None
    with state.lock:
        payment = state.payment(payment_id, store_id)
        status = payment["status"]
        if status == "CANCELLED":
            raise PortOneError("PAYMENT_ALREADY_CANCELLED", "이미 취소된 결제 건입니다.")
        if status not in ("PAID", "PARTIAL_CANCELLED"):
            raise PortOneError("PAYMENT_NOT_PAID", "결제가 완료되지 않은 결제 건입니다.")
        money = payment["amount"]
        cancellable = money["total"] - money["cancelled"]
        if expected is not None and expected != cancellable:
            raise PortOneError(
                "CANCELLABLE_AMOUNT_CONSISTENCY_BROKEN",
                f"취소 가능 잔액이 일치하지 않습니다 (실제 {cancellable}).",
            )
        amount = cancellable if requested is None else requested
        if amount > cancellable:
            raise PortOneError(
                "CANCEL_AMOUNT_EXCEEDS_CANCELLABLE_AMOUNT",
                f"취소 금액({amount})이 취소 가능 금액({cancellable})을 초과합니다.",
            )
        if payment["method"]["type"] == VIRTUAL_ACCOUNT_METHOD and account is None:
            # Money paid into a virtual account goes back by bank transfer: PortOne needs the
            # account (for the PGs it aggregates that do not keep the payer's).
            raise invalid_request("가상계좌 결제 취소에는 환불 계좌(`refundAccount`)가 필요합니다.")
        entry = records.cancellation(amount, reason, state.clock, tax_free)
        money["cancelled"] += amount
        money["cancelledTaxFree"] += tax_free
        payment["cancellations"].append(entry)
        payment["status"] = "CANCELLED" if amount == cancellable else "PARTIAL_CANCELLED"
        payment["cancelledAt"] = entry["cancelledAt"]
        payment["statusChangedAt"] = payment["updatedAt"] = entry["cancelledAt"]
        if payment["method"]["type"] == VIRTUAL_ACCOUNT_METHOD:
            payment["method"]["refundStatus"] = "COMPLETED"
        event = (
            "Transaction.Cancelled"
            if payment["status"] == "CANCELLED"
            else "Transaction.PartialCancelled"
        )
        state.emit(event, {**_event_data(payment), "cancellationId": entry["id"]}, skip=skip)
        return {"cancellation": records.snapshot(entry)}


def pay_with_billing_key(state: PortOneState, payment_id: str, input: Json) -> Json:
    """Charge a billing key at once; answers `{"payment": {pgTxId, paidAt}}`."""
    store_id = validation.string(input, "storeId", required=False)
    billing_key = validation.string(input, "billingKey")
    order_name = validation.string(input, "orderName")
    money = validation.child(input, "amount")
    assert money is not None and billing_key is not None and order_name is not None
    total = validation.integer(money, "total", "amount.", minimum=1)
    tax_free = validation.integer(money, "taxFree", "amount.", required=False, minimum=0) or 0
    currency = validation.string(input, "currency")
    customer = validation.child(input, "customer", required=False)
    custom_data = validation.string(input, "customData", required=False)
    months = validation.integer(input, "installmentMonth", required=False, minimum=0) or 0
    skip = bool(validation.boolean(input, "skipWebhook"))
    assert total is not None and currency is not None
    with state.lock:
        key = state.billing_key(billing_key, store_id)
        if key["status"] == "DELETED":
            raise PortOneError("BILLING_KEY_ALREADY_DELETED", "이미 삭제된 빌링키입니다.")
        # The card is the one the billing key was issued for.
        method = records.card_method(DEFAULT_CARD_NUMBER, months)
        method["card"] = records.snapshot(key["methods"][0]["card"])
        payment = records.payment(
            payment_id=payment_id,
            store_id=key["storeId"],
            status="PAID",
            order_name=order_name,
            total=total,
            currency=currency,
            method=method,
            customer=records.customer(customer) or dict(key["customer"]),
            custom_data=custom_data,
            billing_key=billing_key,
            clock=state.clock,
            platform="API",
        )
        payment["amount"] = records.amount(total, tax_free)
        stored = _store(state, payment, skip_webhook=skip)
        return {"payment": {"pgTxId": stored["pgTxId"], "paidAt": stored["paidAt"]}}


def receive_webhook(state: PortOneState, body: Json) -> None:
    """Record a webhook that reached the built-in receiver (its signature already checked)."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise invalid_request("웹훅 본문에 `data`가 없습니다.")
    key = data.get("paymentId") or data.get("billingKey")
    if not isinstance(key, str):
        raise invalid_request("웹훅 본문에 `paymentId`나 `billingKey`가 없습니다.")
    with state.lock:
        state.received_webhooks.set(key, records.snapshot(body))

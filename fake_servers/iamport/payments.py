"""Card and virtual-account payments: creation, deposit, refunds, and their webhooks."""

from __future__ import annotations

from typing import Any, TypeVar

from fake_servers.common.http import HttpError, dumps

from . import generators, messages
from .records import CardPayment, Payment, PaymentCancel, Subscription, VBankPayment
from .state import State
from .subscriptions import register_card
from .webhooks import notify

P = TypeVar("P", bound=Payment)

REFUND_FIELDS = ("refund_holder", "refund_bank", "refund_account")
BUYER_FIELDS = ("name", "email", "tel", "addr", "postcode")
# What a payment made in the checkout window records besides: where it was made (`window`).
WINDOW_FIELDS = ("pg_provider", "channel", "user_agent")


def find_payment(state: State, imp_uid: str) -> Payment:
    return state.payments.get(imp_uid)


def pay_by_card(state: State, order: dict[str, Any]) -> CardPayment:
    """`POST /subscribe/payments/onetime`: charge a card, first saving it under a customer_uid."""
    with state.lock:
        customer_uid = order.get("customer_uid") or None
        if customer_uid is not None:
            register_card(state, customer_uid, order)
        payment = _card_payment(
            order,
            now=state.clock.seconds(),
            card_code=generators.new_id(),
            card_name=generators.hangul_name(),
            card_number=order["card_number"],
            buyer=_buyer(order),
            customer_uid=customer_uid,
        )
        return _create(state, payment)


def pay_again(state: State, order: dict[str, Any]) -> CardPayment:
    """`POST /subscribe/payments/again`: charge a saved card; missing buyer data comes from it."""
    with state.lock:
        card: Subscription = state.subscriptions.get(order["customer_uid"])
        buyer = {
            f"buyer_{key}": order.get(f"buyer_{key}") or getattr(card, f"customer_{key}") or None
            for key in BUYER_FIELDS
        }
        payment = _card_payment(
            order,
            now=state.clock.seconds(),
            card_code=card.card_code,
            card_name=card.card_name,
            card_number=card.card_number,
            buyer=buyer,
            customer_uid=card.customer_uid,
        )
        return _create(state, payment)


def pay_in_window(
    state: State, order: dict[str, Any], window: dict[str, Any], card_number: str
) -> CardPayment:
    """A card payment made in the checkout window: `paid` at once, as `onetime` makes one.
    `window` holds what the window knows of where it was made (`WINDOW_FIELDS`)."""
    with state.lock:
        payment = _card_payment(
            order,
            now=state.clock.seconds(),
            card_code=generators.new_id(),
            card_name=generators.hangul_name(2) + "카드",
            card_number=card_number,
            buyer=_buyer(order),
            customer_uid=None,
            window=window,
        )
        return _create(state, payment)


def fail_in_window(
    state: State, order: dict[str, Any], window: dict[str, Any], reason: str
) -> Payment:
    """What a checkout window that took no money leaves: a `failed` payment. No webhook: iamport
    sends none for a payment that never happened."""
    now = state.clock.seconds()
    payment = Payment(
        pay_method=order.get("pay_method") or "card",
        merchant_uid=order["merchant_uid"],
        name=order.get("name") or None,
        amount=order["amount"],
        currency=order.get("currency") or "KRW",
        **_buyer(order),
        custom_data=order.get("custom_data") or None,
        status="failed",
        started_at=now,
        failed_at=now,
        fail_reason=reason,
        notice_url=order.get("notice_url"),
        **_window_fields(window),
    )
    with state.lock:
        state.payments.set(payment.imp_uid, payment)
    return payment


def _buyer(order: dict[str, Any]) -> dict[str, str | None]:
    # An empty string counts as "not given", as in the original.
    return {f"buyer_{key}": order.get(f"buyer_{key}") or None for key in BUYER_FIELDS}


def _window_fields(window: dict[str, Any] | None) -> dict[str, Any]:
    return {key: window[key] for key in WINDOW_FIELDS if window and window.get(key) is not None}


def _card_payment(
    order: dict[str, Any],
    *,
    card_code: str,
    card_name: str,
    card_number: str,
    buyer: dict[str, str | None],
    customer_uid: str | None,
    window: dict[str, Any] | None = None,
    now: float,
) -> CardPayment:
    return CardPayment(
        card_code=card_code,
        card_name=card_name,
        card_number=card_number,
        card_quota=order.get("card_quota") or 0,
        currency=order.get("currency") or "KRW",
        merchant_uid=order["merchant_uid"],
        name=order["name"],
        amount=order["amount"],
        **buyer,
        customer_uid=customer_uid,
        customer_uid_usage="issue" if customer_uid else None,
        custom_data=order.get("custom_data") or None,
        status="paid",
        started_at=now,
        paid_at=now,
        notice_url=order.get("notice_url"),
        **_window_fields(window),
    )


def issue_vbank(
    state: State, order: dict[str, Any], window: dict[str, Any] | None = None
) -> VBankPayment:
    """`POST /vbanks`: open a virtual account; the payment waits (`ready`) for a deposit.

    The requested `vbank_holder` is ignored: iamport names the holder itself. `window` is set
    when the account was asked for in the checkout window (`WINDOW_FIELDS`).
    """
    issued = state.clock.ms()
    payment = VBankPayment(
        vbank_code=order["vbank_code"],
        vbank_date=order["vbank_due"],
        vbank_issued_at=issued,
        merchant_uid=order["merchant_uid"],
        name=order.get("name") or None,
        amount=order["amount"],
        **_buyer(order),
        customer_uid=generators.new_id(),
        customer_uid_usage="issue",
        custom_data=order.get("custom_data") or None,
        status="ready",
        started_at=issued / 1000,
        notice_url=order.get("notice_url"),
        **_window_fields(window),
    )
    with state.lock:
        return _create(state, payment)


def update_vbank(state: State, change: dict[str, Any]) -> VBankPayment:
    """`PUT /vbanks`: change the amount or due date of a virtual account still waiting."""
    with state.lock:
        payment = _waiting_vbank(state, change["imp_uid"])
        # Zero means "unchanged", as in the original.
        if change.get("amount"):
            payment.amount = change["amount"]
        if change.get("vbank_due"):
            payment.vbank_date = change["vbank_due"]
        notify(state, payment)
        return payment


def deposit(state: State, imp_uid: str) -> VBankPayment:
    """`PUT /internal/deposit/:imp_uid`: the customer pays into the virtual account."""
    with state.lock:
        payment = _waiting_vbank(state, imp_uid)
        payment.status = "paid"
        payment.paid_at = state.clock.seconds()
        notify(state, payment)
        return payment


def cancel(state: State, request: dict[str, Any]) -> Payment:
    """`POST /payments/cancel`: refund all or part of what is left.

    Every check runs before anything changes, so a refused cancel leaves the payment as it was.
    """
    with state.lock:
        payment = state.payments.get(request["imp_uid"])
        if payment.pay_method == "vbank" and not all(request.get(key) for key in REFUND_FIELDS):
            raise HttpError(422, messages.REFUND_ACCOUNT_REQUIRED)
        if not payment.paid_at:
            raise HttpError(422, messages.NOT_PAID)
        refundable = payment.refundable
        if refundable <= 0:
            raise HttpError(422, messages.FULLY_REFUNDED)
        amount = request.get("amount", refundable)
        if amount <= 0:
            raise HttpError(422, messages.NON_POSITIVE_REFUND)
        if amount > refundable:
            raise HttpError(422, messages.OVER_REFUND)
        checksum = request["checksum"]
        if checksum is not None and checksum != refundable:
            text = messages.CHECKSUM_MISMATCH.format(
                checksum=dumps(checksum), refundable=dumps(refundable)
            )
            raise HttpError(422, text)

        now = state.clock.seconds()
        payment.cancel_amount += amount
        payment.cancel_reason = request["reason"]
        payment.cancelled_at = now
        payment.cancel_history.append(
            PaymentCancel(
                pg_id=payment.pg_id,
                pg_tid=payment.pg_tid,
                amount=amount,
                cancelled_at=now,
                reason=request["reason"],
                receipt_url=payment.receipt_url,
            )
        )
        # As the real iamport: a partial refund leaves the payment `paid`.
        payment.status = "cancelled" if payment.cancel_amount >= payment.amount else "paid"
        notify(state, payment)
        return payment


def _create(state: State, payment: P) -> P:
    state.payments.set(payment.imp_uid, payment)
    notify(state, payment)
    return payment


def _waiting_vbank(state: State, imp_uid: str) -> VBankPayment:
    payment = state.payments.get(imp_uid)
    if not isinstance(payment, VBankPayment):
        raise HttpError(422, messages.NOT_VBANK)
    if payment.status == "paid":
        raise HttpError(422, messages.ALREADY_PAID)
    if payment.status == "cancelled":
        raise HttpError(422, messages.ALREADY_CANCELLED)
    return payment

"""Server answers as the original emits them.

docs/payment-api.md §2.4: key order, extra keys, null refund.
"""

from __future__ import annotations

from typing import Any

HISTORY_ID = "3f1e8c2a-6b7d-4e59-9a10-2c4d5e6f7a8b"
RESERVATION_ID = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
ORDER_ID = "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d"
WEBHOOK_ID = "5d6e7f80-1a2b-4c3d-8e9f-a0b1c2d3e4f5"
WEBHOOK_URL = "http://127.0.0.1:37821/payments/internal/webhook"
SOURCE: dict[str, str] = {"schema": "some-schema", "table": "some-table", "id": ORDER_ID}


def iamport_payment(**changes: Any) -> dict[str, Any]:
    payment = {
        "card_code": "366",
        "card_name": "신한카드",
        "card_number": "1111-2222-3333-4444",
        "card_quota": 0,
        "apply_num": "12345678",
        "pay_method": "card",
        "imp_uid": "imp_123",
        "merchant_uid": ORDER_ID,
        "name": "some-title",
        "amount": 20000,
        "cancel_amount": 0,
        "currency": "KRW",
        "status": "paid",
        "paid_at": 1714532645,
        "cancelled_at": 0,
        "cancel_history": [],
    }
    payment.update(changes)
    return payment


def iamport_history(**changes: Any) -> dict[str, Any]:
    history = {
        "id": HISTORY_ID,
        "vendor_code": "iamport",
        "vendor": {"code": "iamport", "uid": "imp_123", "store_id": "test-iamport-create-id"},
        "source": dict(SOURCE),
        "cancels": [],
        "currency": "KRW",
        "price": 20000,
        "refund": None,
        "data": iamport_payment(),
        "webhook_url": WEBHOOK_URL,
        "created_at": "2024-05-01T03:04:05.678Z",
        "paid_at": "2024-05-01T03:04:05.000Z",
        "cancelled_at": None,
    }
    history.update(changes)
    return history


def cancelled_history() -> dict[str, Any]:
    """After a partial refund of 4,000 (the original's extra `time` key included)."""
    return iamport_history(
        cancels=[
            {
                "price": 4000,
                "reason": "some-reason",
                "created_at": "2024-05-01T03:10:00.123Z",
                "time": "2024-05-01T03:10:00.123Z",
            }
        ],
        refund=4000,
        cancelled_at="2024-05-01T03:10:01.000Z",
        data=iamport_payment(status="cancelled", cancel_amount=4000),
    )


def toss_history(**changes: Any) -> dict[str, Any]:
    history = iamport_history(
        vendor_code="toss.payments",
        vendor={"code": "toss.payments", "uid": "pk_1", "store_id": "test-toss-payments-create-id"},
        price=19900,
        data={
            "paymentKey": "pk_1",
            "orderId": ORDER_ID,
            "currency": "KRW",
            "totalAmount": 19900,
            "balanceAmount": 19900,
            "status": "WAITING_FOR_DEPOSIT",
            "approvedAt": None,
            "cancels": None,
        },
        paid_at=None,
    )
    history.update(changes)
    return history


def toss_reservation() -> dict[str, Any]:
    return {
        "id": RESERVATION_ID,
        "vendor_code": "toss.payments",
        "vendor": {
            "code": "toss.payments",
            "store_id": "test-toss-payments-create-id",
            "uid": "bk",
        },
        "source": dict(SOURCE),
        "title": "some-title",
        "data": {
            "mId": "tosspyaments",
            "billingKey": "bk",
            "customerKey": ORDER_ID,
            "method": "카드",
            "cardCompany": "신한",
            "cardNumber": "1111222233334444",
            "authenticatedAt": "2024-05-01T12:00:00+09:00",
        },
        "created_at": "2024-05-01T03:04:05.678Z",
    }


def iamport_reservation() -> dict[str, Any]:
    return {
        "id": RESERVATION_ID,
        "vendor_code": "iamport",
        "vendor": {"code": "iamport", "store_id": "test-iamport-create-id", "uid": ORDER_ID},
        "source": dict(SOURCE),
        "title": "some-title",
        "data": {
            "pg_provider": "pg-of-somewhere",
            "card_number": "1111-2222-3333-4444",
            "inserted": 1,
            "updated": 0,
            "customer_uid": ORDER_ID,
        },
        "created_at": "2024-05-01T03:04:05.678Z",
    }


def webhook_payload() -> dict[str, Any]:
    """A vbank deposit notification, `{id, source, previous, current}`.

    See docs/payment-api.md §4.8.
    """
    previous = toss_history()
    current = toss_history(
        paid_at="2024-05-02T00:00:00.000Z",
        data={**previous["data"], "status": "DONE", "approvedAt": "2024-05-02T09:00:00+09:00"},
    )
    return {"id": WEBHOOK_ID, "source": dict(SOURCE), "previous": previous, "current": current}

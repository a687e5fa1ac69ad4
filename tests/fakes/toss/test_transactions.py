"""`GET /v1/transactions`: the ledger of approvals, deposits and refunds, by cursor."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from fake_servers.toss import FakeToss

from .support import TossClient, nest_error, order_id

WIDE = {"startDate": "2000-01-01T00:00:00", "endDate": "2100-01-01T00:00:00"}


@pytest.fixture
def limited(fake: FakeToss) -> Iterator[FakeToss]:
    fake.set_list_limit(2)
    yield fake
    fake.set_list_limit(10000)


def test_every_movement_is_a_transaction_oldest_first(client: TossClient, fake: FakeToss) -> None:
    card = fake.pay_by_card(30000, order_id())
    fake.cancel(card["paymentKey"], amount=10000)
    account = fake.issue_virtual_account(20000, order_id())
    fake.deposit(account["paymentKey"])
    fake.pay_by_card(5000, order_id(), approved=False)  # not approved: no transaction

    listed = client.expect(client.get("/v1/transactions", params=WIDE), 200)

    assert [(t["paymentKey"], t["status"], t["amount"]) for t in listed] == [
        (card["paymentKey"], "DONE", 30000),
        (card["paymentKey"], "PARTIAL_CANCELED", 10000),
        (account["paymentKey"], "WAITING_FOR_DEPOSIT", 20000),
        (account["paymentKey"], "DONE", 20000),
    ]
    assert listed[0]["transactionKey"] == card["transactionKey"]
    assert len({t["transactionKey"] for t in listed}) == 4
    assert list(listed[0]) == [
        "mId",
        "transactionKey",
        "paymentKey",
        "orderId",
        "method",
        "customerKey",
        "useEscrow",
        "receiptUrl",
        "status",
        "transactionAt",
        "currency",
        "amount",
    ]


def test_pages_continue_after_the_cursor_until_empty(client: TossClient, limited: FakeToss) -> None:
    keys = [limited.pay_by_card(1000 + n, order_id())["paymentKey"] for n in range(5)]
    seen: list[str] = []
    sizes: list[int] = []
    after = None
    while True:
        query = dict(WIDE, **({"startingAfter": after} if after else {}))
        page = client.expect(client.get("/v1/transactions", params=query), 200)
        sizes.append(len(page))
        if not page:
            break
        seen += [t["paymentKey"] for t in page]
        after = page[-1]["transactionKey"]
    assert sizes == [2, 2, 1, 0]
    assert seen == keys


def test_dates_without_offset_are_korean_time(client: TossClient, fake: FakeToss) -> None:
    payment = fake.pay_by_card(1000, order_id())
    approved = datetime.fromisoformat(payment["approvedAt"])
    korean = approved.astimezone(timezone(timedelta(hours=9))).replace(tzinfo=None)
    start, end = (
        (korean - timedelta(minutes=1)).isoformat(),
        (korean + timedelta(minutes=1)).isoformat(),
    )

    listed = client.get("/v1/transactions", params={"startDate": start, "endDate": end})

    assert [t["paymentKey"] for t in client.expect(listed, 200)] == [payment["paymentKey"]]
    utc = {"startDate": f"{start}Z", "endDate": f"{end}Z"}  # 9 hours later: nothing
    assert client.expect(client.get("/v1/transactions", params=utc), 200) == []


def test_an_unknown_cursor_is_a_400(client: TossClient, fake: FakeToss) -> None:
    fake.pay_by_card(1000, order_id())
    reply = client.get("/v1/transactions", params=dict(WIDE, startingAfter="nope"))
    assert client.expect(reply, 400) == nest_error(400, "잘못된 페이징 키 입니다.")


@pytest.mark.parametrize(
    "query",
    [
        {"endDate": WIDE["endDate"]},
        {"startDate": "yesterday", "endDate": WIDE["endDate"]},
        dict(WIDE, limit="0"),
        dict(WIDE, limit="10001"),
    ],
)
def test_a_bad_query_is_a_400(client: TossClient, query: dict[str, str]) -> None:
    assert client.get("/v1/transactions", params=query).status_code == 400


def test_the_list_needs_the_secret_key(fake: FakeToss) -> None:
    anonymous = TossClient(fake.url, authorization="Basic eDo=")
    assert anonymous.get("/v1/transactions", params=WIDE).status_code == 403

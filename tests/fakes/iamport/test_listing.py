"""`GET /payments/status/:payment_status`: iamport's paged list, by status and time."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest

from fake_servers.iamport import FakeIamport

from .helpers import IamportClient


@pytest.fixture
def limited(fake: FakeIamport) -> Iterator[FakeIamport]:
    fake.set_list_limit(2)
    yield fake
    fake.set_list_limit(100)


def window(**extra: object) -> dict[str, object]:
    now = int(time.time())
    return {"from": now - 3600, "to": now + 60, **extra}


def test_pages_follow_next_until_0(api: IamportClient, limited: FakeIamport) -> None:
    uids = [limited.pay_by_card(1000 + n, str(uuid.uuid4()))["imp_uid"] for n in range(5)]
    seen, page, pages = [], 1, []
    while page:
        reply = api.request(
            "GET", "/payments/status/all", params=window(page=page, sorting="started")
        )
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert (body["code"], body["message"]) == (0, "success")
        answer = body["response"]
        pages.append((answer["total"], answer["previous"], answer["next"], len(answer["list"])))
        seen += [payment["imp_uid"] for payment in answer["list"]]
        page = answer["next"]
    assert pages == [(5, 0, 2, 2), (5, 1, 3, 2), (5, 2, 0, 1)]
    assert seen == uids  # oldest first with sorting=started


def test_the_range_applies_to_the_time_of_the_current_status(
    api: IamportClient, fake: FakeIamport
) -> None:
    paid = fake.pay_by_card(1000, "paid")["imp_uid"]
    refunded = fake.pay_by_card(2000, "refunded")["imp_uid"]
    fake.cancel(refunded)
    fake.backdate(paid, 7200)
    fake.backdate(refunded, 7200)
    # The refund happened "two hours ago" too; move only the refund back to now.
    fake.state.payments.get(refunded).cancelled_at = time.time()

    def listed(status: str, **query: object) -> list[str]:
        reply = api.request("GET", f"/payments/status/{status}", params=window(**query))
        return [payment["imp_uid"] for payment in reply.json()["response"]["list"]]

    assert listed("all") == [refunded]
    assert listed("cancelled") == [refunded]
    assert listed("paid") == []
    now = int(time.time())
    assert listed("paid", **{"from": now - 3 * 3600, "to": now - 3600}) == [paid]


def test_a_range_over_90_days_is_refused(api: IamportClient, fake: FakeIamport) -> None:
    now = int(time.time())
    query = {"from": now - 91 * 86400, "to": now}
    reply = api.request("GET", "/payments/status/all", params=query)
    assert reply.status_code == 400
    assert reply.json() == {
        "message": "검색기간은 최대 90일까지 입니다.",
        "error": "Bad Request",
        "statusCode": 400,
    }


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/payments/status/all", {"limit": "many"}, "$input.limit"),
        ("/payments/status/all", {"page": "0"}, "$input.page"),
        ("/payments/status/all", {"sorting": "amount"}, "$input.sorting"),
    ],
)
def test_a_malformed_query_is_a_400_before_the_token(
    api: IamportClient, path: str, query: dict[str, str], field: str
) -> None:
    reply = api.request("GET", path, params=query, authorize=False)
    assert reply.status_code == 400
    assert reply.json()["path"] == field
    assert reply.json()["message"] == "Request query data is not following the promised type."


def test_an_unknown_status_is_a_400(api: IamportClient) -> None:
    reply = api.request("GET", "/payments/status/done")
    assert reply.status_code == 400
    assert "payment_status" in reply.json()["message"]


def test_the_list_needs_a_token(api: IamportClient) -> None:
    reply = api.request("GET", "/payments/status/all", authorize=False)
    assert reply.status_code == 403

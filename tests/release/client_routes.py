"""Run by the interpreter of a venv holding only the `payment-service-client` wheel (with its
`async` extra), not by pytest: every route of a served instance, through `PaymentClient` and
through `AsyncPaymentClient`. Prints one JSON object for the test to check.

    python client_routes.py INPUT_JSON   # {url, key, iv, sync: {...}, async: {...}}

Each of `sync` and `async` names a paid iamport card payment (`uid`, `order`) and an iamport
saved card (`customer_uid`, `customer`) for that client to register, read and refund.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import payment_service_client
from payment_service_client import AsyncPaymentClient, NotFound, PaymentClient

PASSWORD = "a-long-random-record-password"
STORE = "store"
PRICE = 20000
REFUND = 4000


def source(table: str, id: str) -> dict[str, str]:
    return {"schema": "shop", "table": table, "id": id}


def summary(client: str, answers: dict[str, Any]) -> dict[str, Any]:
    history, got, at, cancelled = (answers[key] for key in ("create", "get", "at", "cancel"))
    saved, saved_got, saved_at = (answers[key] for key in ("reserve", "reserved", "reserved_at"))
    return {
        "client": client,
        "healthy": answers["healthy"],
        "package": answers["system"].package.get("name"),
        "rss": answers["performance"].memory["rss"] > 0,
        "plugins": sorted(plugin.code for plugin in answers["plugins"]),
        "webhook_counts": answers["webhooks"].pending >= 0,
        "same_history": history.id == got.id == at.id == cancelled.id,
        "price": str(history.price),
        "paid_typed": history.iamport is not None and history.iamport["status"] == "paid",
        "refund": str(cancelled.refund),
        "same_reservation": saved == saved_got == saved_at,
        "not_found": answers["not_found"],
    }


def run_sync(url: str, key: str, iv: str, case: dict[str, str]) -> dict[str, Any]:
    order, customer = source("orders", case["order"]), source("customers", case["customer"])
    answers: dict[str, Any] = {}
    with PaymentClient(url, key, iv) as client:
        client.monitors.health()
        answers["healthy"] = client.monitors.is_healthy()
        answers["system"] = client.monitors.system()
        answers["performance"] = client.monitors.performance()
        answers["plugins"] = client.monitors.plugins()
        answers["webhooks"] = client.monitors.webhooks()
        answers["create"] = client.histories.create(
            vendor={"code": "iamport", "uid": case["uid"], "store_id": STORE},
            source=order,
            price=PRICE,
            password=PASSWORD,
            webhook_url="http://127.0.0.1:9/unused",
        )
        answers["get"] = client.histories.get(source=order, password=PASSWORD)
        answers["at"] = client.histories.at(answers["create"].id, password=PASSWORD)
        answers["cancel"] = client.histories.cancel(
            source=order, password=PASSWORD, price=REFUND, reason="returned"
        )
        answers["reserve"] = client.reservations.create(
            vendor={"code": "iamport", "uid": case["customer_uid"], "store_id": STORE},
            source=customer,
            title="card",
            password=PASSWORD,
        )
        answers["reserved"] = client.reservations.get(source=customer, password=PASSWORD)
        answers["reserved_at"] = client.reservations.at(answers["reserve"].id, password=PASSWORD)
        try:
            client.histories.get(source=source("orders", case["customer"]), password=PASSWORD)
            answers["not_found"] = False
        except NotFound:
            answers["not_found"] = True
    return summary("sync", answers)


async def run_async(url: str, key: str, iv: str, case: dict[str, str]) -> dict[str, Any]:
    order, customer = source("orders", case["order"]), source("customers", case["customer"])
    answers: dict[str, Any] = {}
    async with AsyncPaymentClient(url, key, iv) as client:
        await client.monitors.health()
        answers["healthy"] = await client.monitors.is_healthy()
        (
            answers["system"],
            answers["performance"],
            answers["plugins"],
            answers["webhooks"],
        ) = await asyncio.gather(
            client.monitors.system(),
            client.monitors.performance(),
            client.monitors.plugins(),
            client.monitors.webhooks(),
        )
        answers["create"] = await client.histories.create(
            vendor={"code": "iamport", "uid": case["uid"], "store_id": STORE},
            source=order,
            price=PRICE,
            password=PASSWORD,
            webhook_url="http://127.0.0.1:9/unused",
        )
        answers["get"] = await client.histories.get(source=order, password=PASSWORD)
        answers["at"] = await client.histories.at(answers["create"].id, password=PASSWORD)
        answers["cancel"] = await client.histories.cancel(
            source=order, password=PASSWORD, price=REFUND, reason="returned"
        )
        answers["reserve"] = await client.reservations.create(
            vendor={"code": "iamport", "uid": case["customer_uid"], "store_id": STORE},
            source=customer,
            title="card",
            password=PASSWORD,
        )
        answers["reserved"] = await client.reservations.get(source=customer, password=PASSWORD)
        answers["reserved_at"] = await client.reservations.at(
            answers["reserve"].id, password=PASSWORD
        )
        try:
            other = source("orders", case["customer"])
            await client.histories.get(source=other, password=PASSWORD)
            answers["not_found"] = False
        except NotFound:
            answers["not_found"] = True
    return summary("async", answers)


def main(raw: str) -> None:
    given = json.loads(raw)
    url, key, iv = given["url"], given["key"], given["iv"]
    results = [
        run_sync(url, key, iv, given["sync"]),
        asyncio.run(run_async(url, key, iv, given["async"])),
    ]
    heavy = ("flask", "sqlalchemy", "alembic", "gunicorn", "psycopg", "payment_service")
    loaded = sorted({name.split(".")[0] for name in sys.modules} & set(heavy))
    print(
        json.dumps({"sdk": payment_service_client.__file__, "results": results, "loaded": loaded})
    )


if __name__ == "__main__":
    main(sys.argv[1])

"""Just enough payment-server behaviour on the stub to run the README's examples.

Records live in memory; each answer has the shape of docs/payment-api.md §2.4 and each refusal
the status and body of docs/payment-api.md §2.5. Gateways are imagined: iamport payments arrive
paid by card, Toss payments arrive as virtual accounts waiting for the deposit.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from .stub import Recorded, Reply, StubServer

SYSTEM = {
    "uid": str(uuid.uuid4()),
    "arguments": ["payment-service", "serve"],
    "package": {"name": "payment-service", "version": "0.1.0"},
    "commit": None,
    "created_at": "2024-05-01T00:00:00.000Z",
}
PERFORMANCE = {
    "cpu": {"user": 1, "system": 2},
    "memory": {"rss": 3, "heapTotal": 4, "heapUsed": 5, "external": 0, "arrayBuffers": 0},
    "resource": {"maxRSS": 6},
}


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def source_key(source: dict[str, Any]) -> tuple[str, str, str]:
    return (source["schema"], source["table"], source["id"])


class FakePaymentServer:
    def __init__(self, stub: StubServer):
        self.stub = stub
        # Record id -> (password, public record)
        self.histories: dict[str, tuple[str, dict[str, Any]]] = {}
        self.reservations: dict[str, tuple[str, dict[str, Any]]] = {}
        stub.on("GET", "/monitors/health", Reply(200))
        stub.on("GET", "/monitors/system", Reply.encrypted(SYSTEM))
        stub.on("GET", "/monitors/performance", Reply.encrypted(PERFORMANCE))
        stub.on("POST", "/payments/histories", self.create_history)
        stub.on("PATCH", "/payments/histories/get", self.find(self.histories))
        stub.on("PUT", "/payments/histories/cancel", self.cancel)
        stub.on("POST", "/payments/reservations", self.create_reservation)
        stub.on("PATCH", "/payments/reservations/get", self.find(self.reservations))

    def create_history(self, request: Recorded) -> Reply:
        body = request.json
        if self._by_source(self.histories, body["source"]) is not None:
            return Reply.nest(409, "Unique constraint failed on the source", "Conflict")
        vendor, created = body["vendor"], now()
        if vendor["code"] == "iamport":
            data: dict[str, Any] = {
                "pay_method": "card",
                "imp_uid": vendor["uid"],
                "amount": body["price"],
                "currency": "KRW",
                "status": "paid",
            }
        else:
            data = {"paymentKey": vendor["uid"], "status": "WAITING_FOR_DEPOSIT", "cancels": None}
        record = {
            "id": str(uuid.uuid4()),
            "vendor_code": vendor["code"],
            "vendor": {
                "code": vendor["code"],
                "uid": vendor["uid"],
                "store_id": vendor["store_id"],
            },
            "source": body["source"],
            "cancels": [],
            "currency": "KRW",
            "price": body["price"],
            "refund": None,
            "data": data,
            "webhook_url": body["webhook_url"],
            "created_at": created,
            "paid_at": created if vendor["code"] == "iamport" else None,
            "cancelled_at": None,
        }
        self._store(self.histories, record, body["password"], "histories")
        return Reply.encrypted(record, 201)

    def cancel(self, request: Recorded) -> Reply:
        body = request.json
        found = self._by_source(self.histories, body["source"])
        if found is None:
            return Reply.nest(404, "No PaymentHistory found", "Not Found")
        password, record = found
        if body["password"] != password:
            return Reply.nest(403, "Wrong password.", "Forbidden")
        if record["vendor_code"] == "toss.payments" and body["account"] is None:
            return Reply.error(400, {"path": "/v1/payments/x/cancel", "message": "no account"})
        moment = now()
        record["cancels"].append(
            {"price": body["price"], "reason": body["reason"], "created_at": moment, "time": moment}
        )
        record["refund"] = (record["refund"] or 0) + body["price"]
        record["cancelled_at"] = moment
        return Reply.encrypted(record)

    def create_reservation(self, request: Recorded) -> Reply:
        body = request.json
        if self._by_source(self.reservations, body["source"]) is not None:
            return Reply.nest(409, "Unique constraint failed on the source", "Conflict")
        vendor = body["vendor"]
        record = {
            "id": str(uuid.uuid4()),
            "vendor_code": vendor["code"],
            "vendor": vendor,
            "source": body["source"],
            "title": body["title"],
            "data": {"billingKey": vendor["uid"], "cardNumber": "1111222233334444"},
            "created_at": now(),
        }
        self._store(self.reservations, record, body["password"], "reservations")
        return Reply.encrypted(record, 201)

    def find(self, table: dict[str, tuple[str, dict[str, Any]]]) -> Any:
        def handler(request: Recorded) -> Reply:
            body = request.json
            source = {key: body[key] for key in ("schema", "table", "id")}
            return self._answer(self._by_source(table, source), body["password"])

        return handler

    def _store(
        self, table: dict[str, tuple[str, dict[str, Any]]], record: dict, password: str, kind: str
    ) -> None:
        table[record["id"]] = (password, record)
        self.stub.on(
            "PATCH",
            f"/payments/{kind}/{record['id']}",
            lambda request: self._answer(table.get(record["id"]), request.json["password"]),
        )

    @staticmethod
    def _by_source(
        table: dict[str, tuple[str, dict[str, Any]]], source: dict[str, Any]
    ) -> tuple[str, dict[str, Any]] | None:
        for password, record in table.values():
            if source_key(record["source"]) == source_key(source):
                return password, record
        return None

    @staticmethod
    def _answer(found: tuple[str, dict[str, Any]] | None, password: str) -> Reply:
        if found is None:
            return Reply.nest(404, "No record found", "Not Found")
        if password != found[0]:
            return Reply.nest(403, "Wrong password.", "Forbidden")
        return Reply.encrypted(found[1])

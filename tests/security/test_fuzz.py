"""10,000 generated hostile bodies against every route that reads one: zero 5xx, zero rows changed.

Each body is a valid request for its route with one to three *bad* mutations (so none may pass
validation): wrong types, hostile numbers (1E+1000000, 4,000 digits, NaN), deep nesting, strings
too long for their column or carrying NUL / control characters / lone surrogates, URLs the
webhook policy refuses, missing fields, non-object bodies. A seeded generator (no extra test
dependency) keeps every run the same, so a failure names a reproducible body; the in-process
test client keeps 10,000 requests fast. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import random
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from payment_service.crypto import Cipher
from payment_service.db import Base
from tests.support.rows import confirmed_history

BODIES = 10_000
# The bodies never reach a database unless validation lets one through (the bug this hunts), so
# PostgreSQL gets a smaller, differently seeded share: it only adds its stricter column checks.
BODIES_ON_POSTGRESQL = 2_000
SEED = 13
CIPHER = Cipher("MCKOxv9B23r7EatArCFcBP03nfaS03T8", "9haeYD1tIf4v8xs7")


@dataclass(frozen=True)
class Raw:
    """A JSON token written as is (numbers Python's json cannot produce, deep nesting)."""

    text: str


def to_json(value: Any) -> str:
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{to_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(to_json(v) for v in value) + "]"
    return json.dumps(value)  # ensure_ascii: lone surrogates travel as \ud800 escapes


def source() -> dict[str, Any]:
    return {"schema": "shop", "table": "orders", "id": str(uuid.uuid4())}


def vendor() -> dict[str, Any]:
    return {"code": "toss.payments", "store_id": "store", "uid": f"uid-{uuid.uuid4().hex}"}


# route → (method, path, a valid body, {field path: kind})
TEMPLATES: dict[str, tuple[str, str, Any, dict[tuple[str, ...], str]]] = {
    "create": (
        "POST",
        "/payments/histories",
        lambda: {
            "vendor": vendor(),
            "source": source(),
            "price": 20000,
            "password": "pw",
            "webhook_url": "http://127.0.0.1:9/hook",
        },
        {
            ("vendor",): "object",
            ("vendor", "code"): "string",
            ("vendor", "store_id"): "string",
            ("vendor", "uid"): "string",
            ("source",): "object",
            ("source", "schema"): "string",
            ("source", "table"): "string",
            ("source", "id"): "string",
            ("price",): "money",
            ("password",): "string",
            ("webhook_url",): "url",
        },
    ),
    "cancel": (
        "PUT",
        "/payments/histories/cancel",
        lambda: {
            "source": source(),
            "password": "pw",
            "price": 1000,
            "reason": "r",
            "account": {"bank": "b", "account": "a", "holder": "h", "mobile": "m"},
        },
        {
            ("source",): "object",
            ("source", "id"): "string",
            ("password",): "string",
            ("price",): "money",
            ("reason",): "string",
            ("account",): "nullable-object",
            ("account", "bank"): "string",
            ("account", "mobile"): "string",
        },
    ),
    "history-get": (
        "PATCH",
        "/payments/histories/get",
        lambda: {**source(), "password": "pw"},
        {("schema",): "string", ("table",): "string", ("id",): "string", ("password",): "string"},
    ),
    "history-by-id": (
        "PATCH",
        "/payments/histories/{id}",
        lambda: {"password": "pw"},
        {("password",): "string"},
    ),
    "reservation": (
        "POST",
        "/payments/reservations",
        lambda: {"vendor": vendor(), "source": source(), "title": "t", "password": "pw"},
        {
            ("vendor",): "object",
            ("vendor", "uid"): "string",
            ("source",): "object",
            ("source", "table"): "string",
            ("title",): "string",
            ("password",): "string",
        },
    ),
    "reservation-get": (
        "PATCH",
        "/payments/reservations/get",
        lambda: {**source(), "password": "pw"},
        {("schema",): "string", ("id",): "string", ("password",): "string"},
    ),
    "internal": (
        "POST",
        "/payments/internal/webhook",
        lambda: {"id": str(uuid.uuid4()), "source": source(), "previous": {}, "current": {}},
        {("id",): "string", ("source",): "object", ("previous",): "dict"},
    ),
}


class Generator:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    def deep(self) -> Raw:
        depth = self.rng.choice([65, 100, 1_000, 5_000])
        opener = self.rng.choice(["[", '{"a":'])
        closer = "]" if opener == "[" else "}"
        return Raw(opener * depth + ("1" if opener != "[" else "") + closer * depth)

    def huge_number(self) -> Raw:
        return Raw(
            self.rng.choice(
                [
                    "1E+1000000",
                    "1e+2000000",
                    "-1E+1000000",
                    "1E-1000000",
                    "1" + "0" * self.rng.choice([17, 400, 4000]),
                    "NaN",
                    "Infinity",
                    "-Infinity",
                    "1E+16",
                    "9" * 30 + ".5",
                    "0.000001",
                ]
            )
        )

    def bad_string(self) -> str:
        """A string no field accepts: too long for any column, or with a forbidden character."""
        kind = self.rng.randrange(4)
        if kind == 0:
            return self.rng.choice("xé한😀") * self.rng.randint(1_025, 5_000)
        forbidden = self.rng.choice(["\x00", "\x01", "\x1b", "\x7f", "\x9b", "\ud800", "\udfff"])
        word = "".join(self.rng.choices("abc-_./:", k=self.rng.randint(0, 20)))
        cut = self.rng.randint(0, len(word))
        return word[:cut] + forbidden + word[cut:]

    def bad_url(self) -> str:
        return self.rng.choice(
            [
                "file:///etc/passwd",
                "gopher://127.0.0.1:6379/_x",
                "javascript:alert(1)",
                "ftp://example.com/",
                "http://user:pass@example.com/",
                "http://0x7f000001/",
                "http://2130706433/",
                "http://127.1/",
                "http://exa mple.com/",
                "http://example.com/\r\nX: y",
                "http://[::1/",
                "http://example.com:99999/",
                "//example.com/x",
                "http:///x",
                "not a url",
                "http://bücher.de/",
                "http://" + "a" * 1100 + ".com/",
            ]
        )

    def wrong_type(self, kind: str) -> Any:
        choices: list[Any] = [
            None,
            True,
            False,
            [],
            [1, "a"],
            {},
            {"x": 1},
            self.deep(),
        ]
        if kind in ("string", "url"):
            choices += [0, -1, 3.5, self.huge_number()]
        elif kind == "money":
            choices += ["20000", "", "1e3", self.huge_number(), -1, 0, 20000.001, 10**13]
        else:  # objects
            choices += ["text", 1, self.huge_number()]
            if kind == "nullable-object":
                choices.remove(None)
            if kind == "dict":  # any object is a valid dict
                choices = [c for c in choices if not isinstance(c, dict)]
        return self.rng.choice(choices)

    def bad_value(self, kind: str) -> Any:
        roll = self.rng.random()
        if kind in ("string", "url") and roll < 0.5:
            return self.bad_string()
        if kind == "url" and roll < 0.8:
            return self.bad_url()
        if kind == "money" and roll < 0.6:
            return self.huge_number()
        return self.wrong_type(kind)

    def body(self, template: Any, fields: dict[tuple[str, ...], str]) -> Any:
        if self.rng.random() < 0.05:  # not an object at all
            return self.rng.choice([[], "body", 42, None, self.deep(), self.huge_number()])
        body = template()
        for _ in range(self.rng.randint(1, 3)):
            path = self.rng.choice(list(fields))
            target = body
            for key in path[:-1]:
                if not isinstance(target.get(key), dict):
                    break
                target = target[key]
            else:
                if self.rng.random() < 0.15:
                    target.pop(path[-1], None)
                else:
                    target[path[-1]] = self.bad_value(fields[path])
        return body


def snapshot(runtime) -> dict[str, list[tuple]]:
    with runtime.database.transaction() as session:
        return {
            table.name: sorted(map(tuple, session.execute(select(table)).all()), key=repr)
            for table in Base.metadata.sorted_tables
        }


def seed_payment(runtime) -> str:
    """One stored payment, so that 'nothing changed' is checked against a non-empty database."""
    keyring = runtime.settings.keys.history
    with runtime.database.transaction() as session:
        row = confirmed_history(keyring, "http://127.0.0.1:9/hook", vendor_code="toss.payments")
        session.add(row)
        session.flush()
        return row.id


def test_ten_thousand_hostile_bodies_get_4xx_and_change_nothing(app, client):
    runtime = app.extensions["payment_service"]
    on_postgresql = runtime.database.dialect == "postgresql"
    bodies, seed = (BODIES_ON_POSTGRESQL, SEED + 1) if on_postgresql else (BODIES, SEED)
    history_id = seed_payment(runtime)
    before = snapshot(runtime)
    generator = Generator(seed)
    statuses: Counter[int] = Counter()
    routes = list(TEMPLATES)
    for number in range(bodies):
        route = routes[number % len(routes)]
        method, path, template, fields = TEMPLATES[route]
        body = generator.body(template, fields)
        text = to_json(body)
        # Some bodies are not even encrypted (the same 400 as any undecryptable body).
        data = text if generator.rng.random() < 0.02 else CIPHER.encrypt(text)
        response = client.open(
            path.format(id=history_id),
            method=method,
            data=data,
            headers={"Content-Type": "text/plain"},
        )
        statuses[response.status_code] += 1
        assert response.status_code < 500, (route, text[:500], response.get_data(as_text=True))
        assert response.status_code in (400, 413), (route, text[:500], response.status_code)
        assert response.is_json and response.json["message"]
    assert sum(statuses.values()) == bodies
    assert snapshot(runtime) == before

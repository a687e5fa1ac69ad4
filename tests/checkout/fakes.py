"""The three fakes in this process, and their REST APIs read as a merchant's server reads them."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import requests

from fake_servers.iamport import DEFAULT_CREDENTIALS, FakeIamport
from fake_servers.portone import DEFAULT_API_SECRET, FakePortOne
from fake_servers.toss import DEFAULT_SECRET_KEY, FakeToss

Fakes = dict[str, Any]


@contextmanager
def started_fakes() -> Iterator[Fakes]:
    """The fake iamport, Toss and PortOne on free ports, by name; webhooks to their own sinks."""
    with ExitStack() as stack:
        yield {
            "iamport": stack.enter_context(FakeIamport(port=0)),
            "toss": stack.enter_context(FakeToss(port=0)),
            "portone": stack.enter_context(FakePortOne(port=0)),
        }


def api_payment(name: str, fake: Any, uid: str) -> requests.Response:
    """`uid`'s payment from the fake's REST API, authenticated as the merchant's server is."""
    if name == "iamport":
        imp_key, imp_secret = next(iter(DEFAULT_CREDENTIALS.items()))
        token = requests.post(
            f"{fake.url}/users/getToken",
            json={"imp_key": imp_key, "imp_secret": imp_secret},
            timeout=10,
        ).json()["response"]["access_token"]
        return requests.get(
            f"{fake.url}/payments/{uid}", headers={"Authorization": token}, timeout=10
        )
    if name == "toss":
        basic = base64.b64encode(f"{DEFAULT_SECRET_KEY}:".encode()).decode()
        headers = {"Authorization": f"Basic {basic}"}
        return requests.get(f"{fake.url}/v1/payments/{uid}", headers=headers, timeout=10)
    headers = {"Authorization": f"PortOne {DEFAULT_API_SECRET}"}
    return requests.get(f"{fake.url}/payments/{uid}", headers=headers, timeout=10)


def payment_of(name: str, fake: Any, uid: str) -> dict[str, Any]:
    """The payment as the API answers it (iamport's unwrapped from its envelope)."""
    answer = api_payment(name, fake, uid)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body["response"] if name == "iamport" else body


def last_webhook_status(name: str, fake: Any, uid: str) -> str | None:
    """The status (or event type) the fake's last webhook about `uid` announced."""
    if name == "iamport":
        sent = fake.webhooks_for(uid)
        return sent[-1]["status"] if sent else None
    sent = fake.last_webhook(uid)
    if sent is None:
        return None
    return str(sent["data"]["status"] if name == "toss" else sent["type"])

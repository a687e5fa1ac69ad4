"""The fakes' checkout windows driven over HTTP, exactly as the stand-in scripts drive them (the
browser tests check that the scripts do): open a window for a page's request, press an outcome.

Each gateway's request is built the way its stand-in script sends it, from the same arguments.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import requests

from fake_servers.iamport import DEFAULT_MERCHANT_CODE
from fake_servers.portone import DEFAULT_CHANNEL_KEY, DEFAULT_STORE_ID
from fake_servers.toss import DEFAULT_CLIENT_KEY

AMOUNT = 20000
ORDER_NAME = "Coffee beans, 1 kg"


@dataclass(frozen=True)
class Gateway:
    """One fake's checkout, as a browser page sees it."""

    name: str
    """The fake's name (`GatewayFakes.<name>`)."""
    code: str
    """payment-service's vendor code."""

    def request(self, order_id: str, **params: Any) -> dict[str, Any]:
        """What the stand-in script posts for a card payment of `order_id` (`params` are more
        of the SDK's parameters, or None to leave one out)."""
        if self.name == "iamport":
            base = {
                "merchant_uid": order_id,
                "amount": AMOUNT,
                "name": ORDER_NAME,
                "pay_method": "card",
            }
            return {"code": DEFAULT_MERCHANT_CODE, "params": _merged(base, params)}
        if self.name == "toss":
            base = {"orderId": order_id, "amount": AMOUNT, "orderName": ORDER_NAME}
            return {
                "clientKey": DEFAULT_CLIENT_KEY,
                "method": "카드",
                "params": _merged(base, params),
            }
        base = {
            "storeId": DEFAULT_STORE_ID,
            "channelKey": DEFAULT_CHANNEL_KEY,
            "paymentId": f"payment-{order_id}",
            "orderName": ORDER_NAME,
            "totalAmount": AMOUNT,
            "currency": "KRW",
            "payMethod": "CARD",
            "customData": {"orderId": order_id},
        }
        return {"params": _merged(base, params)}

    def uid(self, result: dict[str, Any]) -> str:
        """The gateway's id of the payment in the result the page receives."""
        key = {"iamport": "imp_uid", "toss": "paymentKey"}.get(self.name, "paymentId")
        return str(result[key])


GATEWAYS = [
    Gateway("iamport", "iamport"),
    Gateway("toss", "toss.payments"),
    Gateway("portone", "portone"),
]
GATEWAY_IDS = [gateway.name for gateway in GATEWAYS]


def _merged(base: dict[str, Any], more: dict[str, Any]) -> dict[str, Any]:
    merged = {**base, **more}
    return {key: value for key, value in merged.items() if value is not None}


def new_order_id() -> str:
    return str(uuid.uuid4())


def open_window(fake_url: str, request: Any, window: str = "iframe") -> requests.Response:
    """`POST /checkout/windows` as the script sends it: JSON as text/plain, no preflight."""
    body = {"request": request, "window": window, "origin": "http://127.0.0.1:9"}
    return requests.post(
        f"{fake_url}/checkout/windows",
        data=json.dumps(body),
        headers={"Content-Type": "text/plain;charset=UTF-8", "Origin": "http://127.0.0.1:9"},
        timeout=10,
    )


def finish(fake_url: str, window_id: str, outcome: str) -> requests.Response:
    """The customer presses `outcome` in the window."""
    return requests.post(f"{fake_url}/checkout/windows/{window_id}/{outcome}", timeout=10)


def checkout(fake_url: str, request: Any, outcome: str, window: str = "iframe") -> dict[str, Any]:
    """Open a window and press `outcome`: the `{result, redirect}` the page receives."""
    opened = open_window(fake_url, request, window)
    assert opened.status_code == 201, opened.text
    answer = finish(fake_url, opened.json()["id"], outcome)
    assert answer.status_code == 200, answer.text
    done: dict[str, Any] = answer.json()
    return done

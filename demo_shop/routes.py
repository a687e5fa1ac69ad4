"""The shop's server: what a merchant's own backend does around payment-service.

    POST /demo/orders                     {vendor}  → the order the page pays for
    POST /demo/orders/<id>/payment        {uid}     → register the gateway's payment
    POST /demo/orders/<id>/refund                   → refund what is left
    GET  /demo/orders/<id>                          → the order, its payment, its webhooks
    POST /demo/webhooks                             ← payment-service's webhooks

The price is the shop's, never the page's: payment-service approves the gateway's payment
against the price the shop registers, so a tampered amount in the browser is refused there.
"""

from __future__ import annotations

import secrets
import uuid
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, jsonify, render_template_string, request
from payment_service_client import (
    PaymentError,
    PaymentHistory,
    PaymentSDKError,
    PaymentWebhook,
    WebhookDecodeError,
    decode_webhook,
)

from .inbox import Order

if TYPE_CHECKING:
    from .shop import DemoShop

PRICE = 20000
PRODUCT = "Coffee beans, 1 kg"
# The shop's records at payment-service: `source` is (schema, table, order id).
SOURCE = {"schema": "demo_shop", "table": "orders"}
STORE_ID = "demo-shop"
# Virtual-account payments go back by bank transfer: the customer's account (a real shop asks).
REFUND_ACCOUNT = {
    "bank": "신한은행",
    "account": "110123456789",
    "holder": "홍길동",
    "mobile": "01012345678",
}


def blueprint(shop: DemoShop) -> Blueprint:
    routes = Blueprint("demo_shop", __name__, url_prefix="/demo")

    @routes.get("")
    def page() -> str:
        vendors = shop.vendors()
        keys = {name: vendor.keys for name, vendor in vendors.items()}
        return render_template_string(
            shop.page, vendors=vendors, keys=keys, price=PRICE, product=PRODUCT
        )

    @routes.post("/orders")
    def create_order() -> tuple[Response, int]:
        vendor = (request.get_json(silent=True) or {}).get("vendor")
        if vendor not in shop.vendors():
            return _problem(f"The shop takes no payments with {vendor!r}.", 400)
        order = Order(
            id=str(uuid.uuid4()),
            vendor=vendor,
            amount=PRICE,
            name=PRODUCT,
            password=secrets.token_urlsafe(24),
        )
        shop.inbox.add_order(order)
        return jsonify(id=order.id, vendor=vendor, amount=order.amount, name=order.name), 201

    @routes.post("/orders/<order_id>/payment")
    def register_payment(order_id: str) -> tuple[Response, int]:
        """The page hands over the gateway's id of the payment; payment-service approves it
        at the gateway for exactly the order's price, stores it, and from now on tells the
        shop about every change at `webhook_url`."""
        order = shop.inbox.order(order_id)
        if order is None:
            return _problem("No such order.", 404)
        uid = (request.get_json(silent=True) or {}).get("uid")
        if not isinstance(uid, str) or not uid:
            return _problem("The gateway's payment id (uid) is missing.", 400)
        vendor = {"code": shop.vendors()[order.vendor].code, "store_id": STORE_ID, "uid": uid}
        try:
            with shop.client() as client:
                history = client.histories.create(
                    vendor=vendor,
                    source=_source(order),
                    price=order.amount,
                    password=order.password,
                    webhook_url=f"{shop.api_url}/demo/webhooks",
                )
        except PaymentSDKError as error:
            return _refused(error)
        return jsonify(payment=_payment(shop, order, history)), 201

    @routes.post("/orders/<order_id>/refund")
    def refund(order_id: str) -> tuple[Response, int]:
        order = shop.inbox.order(order_id)
        if order is None:
            return _problem("No such order.", 404)
        try:
            with shop.client() as client:
                history = client.histories.get(source=_source(order), password=order.password)
                left = history.price - (history.refund or 0)
                if left <= 0:
                    return _problem("Nothing is left to refund.", 409)
                history = client.histories.cancel(
                    source=_source(order),
                    password=order.password,
                    price=left,
                    reason="Refunded from the demo shop",
                    account=REFUND_ACCOUNT,
                )
        except PaymentSDKError as error:
            return _refused(error)
        return jsonify(payment=_payment(shop, order, history)), 200

    @routes.get("/orders/<order_id>")
    def order_status(order_id: str) -> tuple[Response, int]:
        order = shop.inbox.order(order_id)
        if order is None:
            return _problem("No such order.", 404)
        try:
            with shop.client() as client:
                history = client.histories.get(source=_source(order), password=order.password)
            payment = _payment(shop, order, history)
        except PaymentError as error:
            if error.status != 404:
                return _refused(error)
            payment = None  # nothing registered: the customer has not paid
        webhooks = shop.inbox.webhooks_of(order.id)
        view = {"id": order.id, "vendor": order.vendor, "amount": order.amount}
        return jsonify(order=view, payment=payment, webhooks=webhooks), 200

    @routes.post("/webhooks")
    def receive_webhook() -> tuple[str, int]:
        """payment-service's webhook: encrypted with the connection key; answer 2xx quickly,
        or it is sent again later."""
        try:
            webhook = decode_webhook(request.get_data(), shop.key, shop.iv)
        except WebhookDecodeError:
            return "", 400
        if webhook.source.schema != SOURCE["schema"] or shop.inbox.order(webhook.source.id) is None:
            return "", 200  # about something that is not one of our orders: nothing to do
        shop.inbox.add_webhook(webhook.source.id, webhook.id, _webhook(webhook))
        return "", 200

    return routes


def _source(order: Order) -> dict[str, str]:
    return {**SOURCE, "id": order.id}


def status_of(history: PaymentHistory) -> str:
    """What the shop calls the state of a payment, from payment-service's record."""
    if history.refund and history.refund >= history.price:
        return "refunded"
    if history.refund:
        return "partly refunded"
    return "paid" if history.paid_at is not None else "waiting for deposit"


def _payment(shop: DemoShop, order: Order, history: PaymentHistory) -> dict[str, Any]:
    status = status_of(history)
    view: dict[str, Any] = {
        "history_id": history.id,
        "status": status,
        "amount": int(history.price),
        "currency": history.currency,
        "refund": None if history.refund is None else int(history.refund),
        "paid_at": None if history.paid_at is None else history.paid_at.isoformat(),
    }
    if status == "waiting for deposit":
        # Only because this is a demo: the fake's page plays the customer's bank.
        view["bank_url"] = shop.bank_url(order.vendor, history.vendor.uid)
    return view


def _webhook(webhook: PaymentWebhook) -> dict[str, Any]:
    """What the shop keeps of a webhook: which change of the payment it reports."""
    current = webhook.current
    return {
        "id": webhook.id,
        "before": status_of(webhook.previous),
        "after": status_of(current),
        "refund": None if current.refund is None else int(current.refund),
        "paid_at": None if current.paid_at is None else current.paid_at.isoformat(),
    }


def _problem(message: str, status: int) -> tuple[Response, int]:
    return jsonify(message=message), status


def _refused(error: PaymentSDKError) -> tuple[Response, int]:
    """payment-service's refusal, passed on to the page (a gateway failure as 502)."""
    status = error.status if isinstance(error, PaymentError) else 502
    message = error.message if isinstance(error, PaymentError) else str(error)
    return _problem(f"payment-service: {message}", status if 400 <= status < 600 else 502)

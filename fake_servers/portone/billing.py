"""Billing keys: issued for a card (`POST /billing-keys`), looked up, deleted."""

from __future__ import annotations

import re
import uuid

from . import records, validation
from .errors import PortOneError, invalid_request
from .records import Json
from .state import PortOneState

_DIGITS = re.compile(r"^\d{13,19}$")


def issue(state: PortOneState, input: Json, default_store: str) -> Json:
    """Issue a billing key for the card in `method.card.credential`."""
    store_id = validation.string(input, "storeId", required=False) or default_store
    method = validation.child(input, "method")
    assert method is not None
    card = validation.child(method, "card", "method.")
    assert card is not None
    credential = validation.child(card, "credential", "method.card.")
    assert credential is not None
    path = "method.card.credential."
    number = validation.string(credential, "number", path)
    validation.string(credential, "expiryYear", path)
    validation.string(credential, "expiryMonth", path)
    assert number is not None
    if not _DIGITS.match(number):
        raise invalid_request("잘못된 요청입니다: 카드 번호는 숫자 13~19자리여야 합니다.")
    customer = records.customer(validation.child(input, "customer", required=False))
    custom_data = validation.string(input, "customData", required=False)
    skip = bool(validation.boolean(input, "skipWebhook"))
    info = records.billing_key_info(
        billing_key=f"billing-key-{uuid.uuid4()}",
        store_id=store_id,
        number=number,
        customer=customer,
        custom_data=custom_data,
        clock=state.clock,
    )
    with state.lock:
        state.billing_keys.set(info["billingKey"], info)
        state.emit(
            "BillingKey.Issued", {"billingKey": info["billingKey"], "storeId": store_id}, skip=skip
        )
        return {
            "billingKeyInfo": {
                "billingKey": info["billingKey"],
                "channels": records.snapshot(info["channels"]),
                "issuedAt": info["issuedAt"],
            }
        }


def at(state: PortOneState, billing_key: str, store_id: str | None) -> Json:
    with state.lock:
        return records.snapshot(state.billing_key(billing_key, store_id))


def delete(state: PortOneState, billing_key: str, store_id: str | None) -> Json:
    with state.lock:
        info = state.billing_key(billing_key, store_id)
        if info["status"] == "DELETED":
            raise PortOneError("BILLING_KEY_ALREADY_DELETED", "이미 삭제된 빌링키입니다.")
        info["status"] = "DELETED"
        info["deletedAt"] = records.stamp(state.clock)
        state.emit("BillingKey.Deleted", {"billingKey": billing_key, "storeId": info["storeId"]})
        return {"deletedAt": info["deletedAt"]}

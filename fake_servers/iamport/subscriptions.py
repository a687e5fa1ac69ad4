"""Saved billing cards (`/subscribe/customers/:customer_uid`)."""

from __future__ import annotations

from typing import Any

from .records import Subscription
from .state import State


def register_card(state: State, customer_uid: str, card: dict[str, Any]) -> Subscription:
    """Save (or replace) the card of `customer_uid`.

    Only the card number is kept; the customer's name, phone and e-mail are made up, as in the
    original, whatever the request says.
    """
    subscription = Subscription(customer_uid=customer_uid, card_number=card["card_number"])
    return state.subscriptions.set(customer_uid, subscription)


def find_card(state: State, customer_uid: str) -> Subscription:
    return state.subscriptions.get(customer_uid)


def remove_card(state: State, customer_uid: str) -> Subscription:
    """Forget the card; payments already made with it stay as they are."""
    return state.subscriptions.pop(customer_uid)

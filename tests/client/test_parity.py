"""`AsyncPaymentClient` has every call of `PaymentClient`, with the same parameters: a route
added to one client and forgotten in the other fails here, not in an integrator's code."""

from __future__ import annotations

import inspect

from payment_service_client import AsyncPaymentClient, PaymentClient

from .wire import IV, KEY

HOST = "http://127.0.0.1:9"


def calls(group: object) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(method)
        for name, method in inspect.getmembers(group, inspect.ismethod)
        if not name.startswith("_")
    }


def test_every_group_and_call_of_the_sync_client_is_in_the_async_one() -> None:
    sync = PaymentClient(HOST, KEY, IV)
    asynchronous = AsyncPaymentClient(HOST, KEY, IV)
    groups = [name for name, value in vars(sync).items() if name != "connection"]
    assert groups == ["histories", "reservations", "schedules", "monitors"]
    for name in groups:
        expected = calls(getattr(sync, name))
        found = calls(getattr(asynchronous, name))
        assert found.keys() == expected.keys(), name
        for call, signature in expected.items():
            assert found[call].parameters == signature.parameters, f"{name}.{call}"
            assert inspect.iscoroutinefunction(getattr(getattr(asynchronous, name), call))
    sync.close()

"""The Python SDK, re-exported: it is the `payment-service-client` distribution (import package
`payment_service_client`, in client/ of this repository), on which the server depends.

Integrators install and import `payment_service_client`; this name keeps working for code
written when the SDK lived inside the server's distribution.
"""

from typing import Any

import payment_service_client

__all__ = payment_service_client.__all__


def __getattr__(name: str) -> Any:
    # Looked up on use, not copied: `AsyncPaymentClient` imports httpx (the SDK's `async`
    # extra), which a server does not need. Only the SDK's public names: passing on
    # `__path__` would let `payment_service.client.webhooks` import a second copy of a module.
    if name in __all__:
        return getattr(payment_service_client, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)

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
    # extra), which a server does not need.
    return getattr(payment_service_client, name)


def __dir__() -> list[str]:
    return sorted(__all__)

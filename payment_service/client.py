"""The Python SDK, re-exported: it is the `payment-service-client` distribution (import package
`payment_service_client`, in client/ of this repository), on which the server depends.

Integrators install and import `payment_service_client`; this name keeps working for code
written when the SDK lived inside the server's distribution.
"""

from payment_service_client import *  # noqa: F403
from payment_service_client import __all__ as __all__

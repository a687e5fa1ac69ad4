"""The checkout window behind each fake's stand-in browser SDK, and the customer's bank.

A merchant page loads the stand-in script from the fake, at the real script's path, and calls
the gateway's documented function. The script asks the fake to open a window (`POST
/checkout/windows`: the gateway checks the request as its real SDK would, and answers `{id,
url}` or 400 `{code, message}`), shows it (an iframe over the page, a popup, or the page itself
redirected) and waits. The customer presses one of the window's buttons (`OUTCOMES`); the window
posts it (`POST /checkout/windows/<id>/<outcome>`), the gateway records what its real window
leaves behind — the very records its API serves, webhooks included — and answers what the
script hands to the page (`result`) and, when the page named one, where the browser goes next
(`redirect`). A virtual account is paid into at `/checkout/bank/<uid>`, the customer's bank.

What differs between the gateways (the request, the records, the result's shape) is each one's
`CheckoutGateway`; `routes.checkout_routes` is the rest.
"""

from .gateway import (
    OUTCOMES,
    WINDOWS,
    Account,
    CheckoutGateway,
    CheckoutRefused,
    Completion,
    Fields,
    Order,
    Window,
    packaged_text,
    with_query,
)
from .routes import checkout_routes

__all__ = [
    "OUTCOMES",
    "WINDOWS",
    "Account",
    "CheckoutGateway",
    "CheckoutRefused",
    "Completion",
    "Fields",
    "Order",
    "Window",
    "checkout_routes",
    "packaged_text",
    "with_query",
]

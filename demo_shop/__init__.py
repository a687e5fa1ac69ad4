"""The demo shop: a small merchant integration that `payment-service serve --with-fakes` (and so
`make run`) serves at `/demo`, in local mode only.

Read it as an example of what a shop writes around payment-service:

* `page.html` — the checkout page: it loads each gateway's browser SDK (here, the fakes'
  stand-ins), opens the payment window, and hands the result to the shop's server;
* `routes.py` — the shop's server: it creates the order, registers the payment with
  payment-service through the Python SDK (which approves it at the gateway), refunds it, and
  receives payment-service's webhooks;
* `inbox.py` — where the shop keeps its orders and the webhooks it received (files, so that
  every worker process of the server sees them; a real shop has its own database).
"""

from .shop import DemoShop

__all__ = ["DemoShop"]

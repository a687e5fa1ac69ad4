"""A wire-compatible fake of the Toss Payments REST API (`fake-toss-payments-server`).

Start one with `FakeToss(port=0).start()` (or as a context manager), or from a shell with
`python -m fake_servers.toss`. See `fake_servers/README.md` for its routes and deviations.
"""

from fake_servers.common.store import Expiration

from .app import create_app
from .auth import DEFAULT_SECRET_KEY
from .checkout import DEFAULT_CLIENT_KEY
from .fake import DEFAULT_PORT, FakeToss

__all__ = [
    "DEFAULT_CLIENT_KEY",
    "DEFAULT_PORT",
    "DEFAULT_SECRET_KEY",
    "Expiration",
    "FakeToss",
    "create_app",
]

"""A wire-compatible fake of the PortOne V2 REST API, with Standard Webhooks signatures.

Start one with `FakePortOne(port=0).start()` (or as a context manager), or from a shell with
`python -m fake_servers.portone`. See `fake_servers/README.md` for its routes and hooks.
"""

from fake_servers.common.store import Expiration

from .app import create_app
from .auth import DEFAULT_API_SECRET
from .errors import PortOneError
from .fake import DEFAULT_PORT, DEFAULT_WEBHOOK_SECRET, FakePortOne
from .records import DEFAULT_CHANNEL_KEY, DEFAULT_STORE_ID

__all__ = [
    "DEFAULT_API_SECRET",
    "DEFAULT_CHANNEL_KEY",
    "DEFAULT_PORT",
    "DEFAULT_STORE_ID",
    "DEFAULT_WEBHOOK_SECRET",
    "Expiration",
    "FakePortOne",
    "PortOneError",
    "create_app",
]

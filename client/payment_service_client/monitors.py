"""Monitoring routes (R1-R3, and this server's plugins and webhooks)."""

from __future__ import annotations

from . import routes
from .connection import Connection
from .errors import PaymentSDKError
from .models import Performance, SystemInfo, VendorPlugin, WebhookCounts


class Monitors:
    """``client.monitors``: health, system information, performance figures, the loaded
    vendor plugins and the outgoing webhooks."""

    def __init__(self, connection: Connection):
        self._connection = connection

    def health(self) -> None:
        """Check that the server is up (R1, ``GET /monitors/health``); raises if it is not.

        The route answers 200 with an empty, unencrypted body.
        """
        self._connection.send("GET", "/monitors/health", status=200)

    def is_healthy(self) -> bool:
        """`health` as a boolean, for readiness probes: any failure is False."""
        try:
            self.health()
        except PaymentSDKError:
            return False
        return True

    def system(self) -> SystemInfo:
        """The server process's identity, package and git commit (R3, ``GET /monitors/system``)."""
        return self._connection.run(routes.SYSTEM)

    def performance(self) -> Performance:
        """The server process's CPU and memory figures (R2, ``GET /monitors/performance``)."""
        return self._connection.run(routes.PERFORMANCE)

    def plugins(self) -> tuple[VendorPlugin, ...]:
        """The vendor plugins the server loaded, by vendor code (``GET /monitors/plugins``)."""
        return self._connection.run(routes.PLUGINS)

    def webhooks(self) -> WebhookCounts:
        """Outgoing webhooks by state and the oldest pending (``GET /monitors/webhooks``):
        a growing ``pending`` or ``failed`` means receivers are not answering."""
        return self._connection.run(routes.WEBHOOKS)

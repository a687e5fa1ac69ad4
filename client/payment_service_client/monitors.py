"""Monitoring routes (R1-R3)."""

from __future__ import annotations

from .connection import Connection
from .errors import PaymentSDKError
from .models import Performance, SystemInfo


class Monitors:
    """``client.monitors``: health, system information and performance figures."""

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
        return self._connection.call("GET", "/monitors/system", SystemInfo.from_dict, status=200)

    def performance(self) -> Performance:
        """The server process's CPU and memory figures (R2, ``GET /monitors/performance``)."""
        return self._connection.call(
            "GET", "/monitors/performance", Performance.from_dict, status=200
        )

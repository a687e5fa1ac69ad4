"""A real HTTP webhook receiver, served from a thread, that records what it is sent.

One server serves many independent channels (`/hook/<id>`), so tests need not pay for starting
and stopping a server each.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, request

from fake_servers.common.server import ServerThread


class Channel:
    """One webhook target: records every POST (raw body, headers) and answers `status`.

    `on_webhook` may act (e.g. call the fake back) before the answer goes out.
    """

    def __init__(self, url: str, status: int):
        self.url = url
        self.status = status
        self.received: list[dict[str, Any]] = []
        self.on_webhook: Callable[[dict[str, Any]], None] | None = None
        self._arrived = threading.Condition()

    def wait_for(self, count: int, timeout: float = 5) -> list[dict[str, Any]]:
        """Block until `count` webhooks arrived; return them all."""
        with self._arrived:
            assert self._arrived.wait_for(lambda: len(self.received) >= count, timeout), (
                f"only {len(self.received)} of {count} webhooks arrived"
            )
            return list(self.received)

    def record(self, delivery: dict[str, Any]) -> None:
        if self.on_webhook is not None:
            self.on_webhook(delivery)
        with self._arrived:
            self.received.append(delivery)
            self._arrived.notify_all()


class Receiver:
    def __init__(self) -> None:
        self._channels: dict[str, Channel] = {}
        app = Flask(__name__)
        app.add_url_rule("/hook/<key>", "hook", self._hook, methods=["POST"])
        self._server = ServerThread(app)

    def start(self) -> Receiver:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def channel(self, status: int = 200) -> Channel:
        key = uuid.uuid4().hex
        channel = Channel(f"{self._server.url}/hook/{key}", status)
        self._channels[key] = channel
        return channel

    def _hook(self, key: str) -> Response:
        channel = self._channels[key]
        channel.record(
            {
                "body": request.get_data(as_text=True),
                "json": request.get_json(silent=True),
                "content_type": request.headers.get("Content-Type"),
                "authorization": request.headers.get("Authorization"),
            }
        )
        return Response(status=channel.status)

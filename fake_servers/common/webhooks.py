"""Fire-and-forget webhook delivery from a background thread, as the gateways do.

Sending never happens inside the request that caused it: the receiver (a payment server) often
calls back into the fake while handling the webhook, and must find it free to answer.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Any

import requests

from .http import dumps

log = logging.getLogger(__name__)


class WebhookSender:
    """Posts JSON bodies in the order they were queued; failures are logged and dropped."""

    def __init__(self, timeout: float = 10.0):
        self.timeout = timeout
        self._queue: queue.Queue[tuple[str, Any, dict[str, str]] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._session = requests.Session()

    def send(self, url: str, body: Any, headers: dict[str, str] | None = None) -> None:
        """Queue `body` for `url`: a JSON value, or bytes sent as they are (e.g. signed ones).

        `headers` are added to the request (a signature computed over those very bytes).
        """
        self._ensure_thread()
        self._queue.put((url, body, dict(headers or {})))

    def drain(self, timeout: float = 5.0) -> bool:
        """Wait until everything queued so far was attempted (for tests); True if it was."""
        done = threading.Event()
        self._ensure_thread()
        self._queue.put(("", done, {}))
        return done.wait(timeout)

    def close(self) -> None:
        with self._lock:
            if self._thread is not None:
                self._queue.put(None)
                self._thread.join(timeout=self.timeout + 1)
                self._thread = None

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="fake-webhook-sender", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            url, body, headers = item
            if isinstance(body, threading.Event):
                body.set()
                continue
            data = body if isinstance(body, bytes) else dumps(body).encode("utf-8")
            try:
                self._session.post(
                    url,
                    data=data,
                    headers={"Content-Type": "application/json", **headers},
                    timeout=self.timeout,
                )
            except Exception as error:  # the real gateways ignore delivery failures too
                log.info("webhook to %s failed: %s", url, error)

"""A real HTTP receiver of the payment server's webhooks, for tests: it decrypts what it gets,
keeps it, and can be told to fail, to test retries."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

from flask import Flask, Response, request
from payment_service_client import PaymentWebhook, WebhookDecodeError, decode_webhook
from payment_service_client.webhooks import KeyPair

from fake_servers.common.server import Lifecycle, ServerThread


class WebhookReceiver(Lifecycle):
    """Serves `POST /webhook` on a free port; `url` is what to give as `webhook_url`.

    `received` holds every webhook, decoded with the SDK, in arrival order (duplicates
    included: delivery is at least once); `attempts` counts every request, failed ones too.
    """

    def __init__(
        self,
        key: str,
        iv: str,
        host: str = "127.0.0.1",
        port: int = 0,
        previous_keys: Iterable[KeyPair] = (),
    ):
        self.key = key
        self.iv = iv
        self.previous_keys = list(previous_keys)
        """More (key, iv) pairs accepted, as a receiver does while the connection key rotates."""
        self.received: list[PaymentWebhook] = []
        self.headers: list[dict[str, str]] = []
        self.attempts = 0
        self.delay_s = 0.0
        """Seconds to wait before answering each request (a slow receiver)."""
        self._failures: list[int] = []
        self._condition = threading.Condition()
        self.app = Flask(__name__)
        self.app.add_url_rule("/webhook", "webhook", self._receive, methods=["POST"])
        self._server = ServerThread(self.app, host, port, quiet=True)

    @property
    def url(self) -> str:
        return f"{self._server.url}/webhook"

    def fail_next(self, times: int, status: int = 500) -> None:
        """Answer the next `times` webhooks with `status` (and keep none of them)."""
        with self._condition:
            self._failures.extend([status] * times)

    def _receive(self) -> Response:
        body = request.get_data(as_text=True)
        with self._condition:
            self.attempts += 1
            self._condition.notify_all()
        if self.delay_s:
            time.sleep(self.delay_s)
        with self._condition:
            if self._failures:
                return Response("try again later", status=self._failures.pop(0))
            try:
                webhook = decode_webhook(body, self.key, self.iv, self.previous_keys)
            except WebhookDecodeError as error:
                return Response(str(error), status=400)
            self.received.append(webhook)
            self.headers.append(dict(request.headers))
            self._condition.notify_all()
        return Response(b"", status=201)

    def wait_for(
        self, predicate: Callable[[PaymentWebhook], bool] = lambda _: True, timeout: float = 10.0
    ) -> PaymentWebhook:
        """The first received webhook matching `predicate`, waiting up to `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while True:
                for webhook in self.received:
                    if predicate(webhook):
                        return webhook
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(
                        f"no matching webhook within {timeout}s ({len(self.received)} received)"
                    )
                self._condition.wait(left)

    def wait_for_attempts(self, count: int, timeout: float = 10.0) -> None:
        """Wait until at least `count` requests arrived (answered or not)."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while self.attempts < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{self.attempts} of {count} requests within {timeout}s")
                self._condition.wait(left)

    def wait_for_count(self, count: int, timeout: float = 10.0) -> list[PaymentWebhook]:
        """Wait until at least `count` webhooks were received; return them all."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(
                        f"{len(self.received)} of {count} webhooks within {timeout}s"
                    )
                self._condition.wait(left)
            return list(self.received)

    def for_history(self, history_id: str) -> list[PaymentWebhook]:
        with self._condition:
            return [w for w in self.received if w.current.id == history_id]

    def clear(self) -> None:
        with self._condition:
            self.received.clear()
            self.headers.clear()
            self.attempts = 0

    def start(self) -> WebhookReceiver:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

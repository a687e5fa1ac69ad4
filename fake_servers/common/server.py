"""Run a WSGI application on a background thread: for tests and for `payment-service fakes`."""

from __future__ import annotations

import threading
from typing import Any, Self

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .clock import FakeClock
from .store import Expiration
from .webhooks import WebhookSender


class Lifecycle:
    """Something started and stopped, and usable as a context manager that does both."""

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class QuietHandler(WSGIRequestHandler):
    """Logs no line per request (for helpers whose traffic is not worth reading)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class ServerThread(Lifecycle):
    """Serve `app` on `host:port` (port 0 picks a free one) from a daemon thread.

    Usable as a context manager; `url` is known once started. Requests are served on their own
    threads, so a handler may call back into the same server.
    """

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0, quiet: bool = False):
        self.app = app
        self.host = host
        self.port = port
        self.quiet = quiet
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> ServerThread:
        if self._server is not None:
            return self
        handler = QuietHandler if self.quiet else None
        self._server = make_server(
            self.host, self.port, self.app, threaded=True, request_handler=handler
        )
        self.port = self._server.server_port
        # A short poll interval makes stop() quick: shutdown waits for the loop to look.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"server-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None


class ServedFake(Lifecycle):
    """What the Toss and PortOne fakes share: a Flask `app` served on `host:port` (port 0 picks
    a free one at `start()`), webhooks that go to `webhook_url`, or while it is None to the
    fake's own receiver, `<url>/internal/webhook`, and stores that share `expiration`.
    Subclasses set `app` and `state` (with `sent_webhooks` and `received_webhooks` stores) in
    `__init__` after calling this one."""

    app: Any
    state: Any

    def __init__(
        self,
        host: str,
        port: int,
        webhook_url: str | None,
        expiration: Expiration | None,
        clock: FakeClock | None = None,
    ):
        self.host = host
        self.port = port
        self.webhook_url = webhook_url
        # The fake's wall time (`state.clock`); tests `advance()` it instead of sleeping, and
        # records expire by it too unless `expiration` brings a clock of its own.
        self.clock = clock if clock is not None else FakeClock()
        self.expiration = (
            expiration if expiration is not None else Expiration(clock=self.clock.timestamp)
        )
        self._sender = WebhookSender()
        self._server: ServerThread | None = None

    # ---- test hooks ------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every record and webhook."""
        self.state.clear()

    def drain_webhooks(self, timeout: float = 5) -> bool:
        """Wait until every webhook sent so far was attempted; False on timeout."""
        return bool(self._sender.drain(timeout))

    def last_webhook(self, key: str) -> Any:
        """The last webhook sent about `key` (a payment, or a billing key), whatever its target."""
        return self.state.sent_webhooks.find(key)

    def received_webhook(self, key: str) -> Any:
        """The last webhook the built-in receiver `/internal/webhook` accepted about `key`."""
        return self.state.received_webhooks.find(key)

    def start(self) -> Self:
        """Listen (idempotent). Raises OSError when the address cannot be bound."""
        if self._server is None:
            try:
                self._server = ServerThread(self.app, self.host, self.port).start()
            except SystemExit:
                # Werkzeug reports a failed bind by printing it and exiting; a library raises.
                raise OSError(f"cannot listen on {self.host}:{self.port}") from None
            self.port = self._server.port
        return self

    def stop(self) -> None:
        """Stop listening, after the webhooks queued so far have been attempted."""
        self._sender.close()
        if self._server is not None:
            self._server.stop()
            self._server = None

    @property
    def started(self) -> bool:
        return self._server is not None

    @property
    def url(self) -> str:
        """Base URL clients use, e.g. `http://127.0.0.1:30771`; valid once started."""
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} has not been started")
        host = self.host
        if host in ("", "0.0.0.0"):
            host = "127.0.0.1"
        elif host == "::":
            host = "::1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def webhook_url(self) -> str | None:
        """Where webhooks go: the configured URL, else the own receiver (None before start)."""
        if self._webhook_url is not None:
            return self._webhook_url
        return f"{self.url}/internal/webhook" if self.started else None

    @webhook_url.setter
    def webhook_url(self, value: str | None) -> None:
        self._webhook_url = value

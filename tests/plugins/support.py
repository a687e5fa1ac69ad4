"""Helpers of the plugin tests: settings, small servers, and a recorder in front of a fake."""

from __future__ import annotations

import io
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, TypeVar

from werkzeug.wrappers import Request, Response

from fake_servers.common.server import ServerThread
from payment_service.crypto import loads
from payment_service.settings import Settings
from payment_service.vendors import PaymentSummary, Refund, Vendor

IAMPORT_CREDENTIALS = {"imp_key": "test_imp_key", "imp_secret": "test_imp_secret"}
TOSS_CREDENTIALS = {"secret_key": "test_ak_ZORzdMaqN3wQd5k6ygr5AkYXQGwy"}

WsgiApp = Callable[..., Any]


def vendor_settings(
    vendors: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Settings that matter to a plugin: PAYMENT_VENDORS and the rest of the environment."""
    merged = {"PAYMENT_LOAD_PLUGINS": "false", **(environ or {})}
    if vendors is not None:
        merged["PAYMENT_VENDORS"] = json.dumps(vendors)
    return Settings.load(environ=merged, env_file=None, **overrides)


@contextmanager
def serve(app: WsgiApp) -> Iterator[str]:
    """Serve a WSGI app on a free port; yields its base URL."""
    server = ServerThread(app).start()
    try:
        yield server.url
    finally:
        server.stop()


V = TypeVar("V")

# The settings key and the fakes' test credentials of each vendor the tests point at a fake.
VENDOR_KEYS = {
    "iamport": ("iamport", IAMPORT_CREDENTIALS),
    "toss": ("toss.payments", TOSS_CREDENTIALS),
}


def vendor_at(from_settings: Callable[[Settings], V], gateway: str, url: str) -> V:
    """A vendor (made by its `from_settings`) whose gateway `gateway` ("iamport" or "toss")
    answers at `url`, with the fake's test credentials."""
    key, credentials = VENDOR_KEYS[gateway]
    return from_settings(vendor_settings({key: {"base_url": url, "default": credentials}}))


@contextmanager
def vendor_behind(
    from_settings: Callable[[Settings], V], gateway: str, app: WsgiApp
) -> Iterator[V]:
    """`vendor_at` talking to `app` (a fake, or a Recorder in front of one) on a free port."""
    with serve(app) as url:
        yield vendor_at(from_settings, gateway, url)


def cancel_in_two(
    vendor: Vendor, payment_id: str, order_id: str, first: int, second: int
) -> tuple[Any, Any, PaymentSummary]:
    """Cancel `first` then `second` of a payment; the two answers and the summary of the last."""
    partial = vendor.cancel("store", payment_id, Refund(order_id, Decimal(first), "some-reason"))
    full = vendor.cancel("store", payment_id, Refund(order_id, Decimal(second), "some-reason"))
    return partial, full, vendor.summarize(full)


def closed_port_url() -> str:
    """A URL where nothing listens (the port was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def slow_app(delay_s: float) -> WsgiApp:
    """A gateway that answers every request only after `delay_s`."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        time.sleep(delay_s)
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b"{}"]

    return app


Intercept = Callable[[Request], Response | None]
Rewrite = Callable[[Request, Response], None]


class Recorder:
    """A WSGI middleware in front of a fake's app: records every request (method, path,
    headers, body), may answer some requests itself (`intercept`) and may change the fake's
    answers (`rewrite`)."""

    def __init__(
        self, app: WsgiApp, intercept: Intercept | None = None, rewrite: Rewrite | None = None
    ):
        self.app = app
        self.intercept = intercept
        self.rewrite = rewrite
        self.requests: list[Request] = []
        self.bodies: list[bytes] = []
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        body = Request(environ).get_data(cache=False)
        # Put the body back for the fake to read.
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        request = Request(environ)
        with self._lock:
            self.requests.append(request)
            self.bodies.append(body)
        response = self.intercept(request) if self.intercept is not None else None
        if response is None:
            response = Response.from_app(self.app, environ)
            if self.rewrite is not None:
                self.rewrite(request, response)
        return response(environ, start_response)

    def count(self, method: str, path: str) -> int:
        with self._lock:
            return sum(1 for r in self.requests if (r.method, r.path) == (method, path))

    def paths(self) -> list[str]:
        with self._lock:
            return [r.path for r in self.requests]

    def sent(self, method: str, path: str) -> list[Any]:
        """The JSON bodies of the requests to `method path`."""
        with self._lock:
            pairs = zip(self.requests, self.bodies, strict=True)
            return [json.loads(b) for r, b in pairs if (r.method, r.path) == (method, path)]


def json_response(status: int, body: Any) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def as_received(value: Any) -> Any:
    """A fake's in-process record as a vendor receives it over HTTP (fractions as Decimal)."""
    return loads(json.dumps(value))

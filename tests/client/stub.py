"""A recording payment server for what the real one cannot show: the exact bytes the SDK
sends, answers of the original server, and failures on demand (5xx, delays, broken bodies).

Tests register a handler per (method, path); the stub does what the real server does around
it: refuse a body whose media type is not ``text/plain`` (400) or that does not decrypt
(400), answer encrypted bodies for successes and plain JSON for errors, and 404 for unknown
routes. Error bodies come from the server's own wire conventions (`payment_service.wire`);
the encryption is this directory's independent transcription of the documented wire.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, request

from payment_service import wire
from payment_service.transport import DECRYPT_FAILED

from .wire import IV, KEY, aes_decrypt, aes_encrypt, js_stringify

__all__ = ["DECRYPT_FAILED", "Recorded", "Reply", "StubServer"]


@dataclass
class Recorded:
    """One request as the stub saw it."""

    method: str
    path: str  # as sent, still percent-encoded
    headers: dict[str, str]
    body: str  # the raw body text (ciphertext for encrypted routes)
    plaintext: str | None  # the decrypted body, None without a body
    remote_port: int

    @property
    def json(self) -> Any:
        return None if self.plaintext is None else json.loads(self.plaintext)


@dataclass
class Reply:
    """What a handler answers: encrypted JSON, plain JSON error, or raw text."""

    status: int
    body: str = ""
    content_type: str | None = None
    delay_s: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def encrypted(cls, value: Any, status: int = 200) -> Reply:
        text = value if isinstance(value, str) else js_stringify(value)
        return cls(status, aes_encrypt(text), "text/plain; charset=utf-8")

    @classmethod
    def error(cls, status: int, body: Any) -> Reply:
        return cls(status, wire.dumps(body), wire.JSON_TYPE)

    @classmethod
    def nest(cls, status: int, message: str) -> Reply:
        """The NestJS error body the server answers with."""
        return cls.error(status, wire.error_body(status, message))


Handler = Callable[[Recorded], Reply]


class StubServer:
    """The Flask app plus the handler table and the request log."""

    def __init__(self, key: str = KEY, iv: str = IV):
        self.key = key
        self.iv = iv
        self.handlers: dict[tuple[str, str], Handler] = {}
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self.app = Flask(__name__)
        methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
        self.app.add_url_rule("/", "root", self._serve, methods=methods, defaults={"path": ""})
        self.app.add_url_rule("/<path:path>", "any", self._serve, methods=methods)

    def reset(self) -> None:
        with self._lock:
            self.handlers.clear()
            self.requests.clear()

    def on(self, method: str, path: str, handler: Handler | Reply) -> None:
        """Answer `method path` (path as sent, percent-encoded) with `handler`."""
        self.handlers[(method, path)] = handler if callable(handler) else (lambda _: handler)

    @property
    def last(self) -> Recorded:
        assert self.requests, "the stub received no request"
        return self.requests[-1]

    def _serve(self, path: str) -> Response:
        raw_path = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI", "")
        raw_path = raw_path.split("?", 1)[0]
        body = request.get_data(as_text=True)
        has_body = bool(body) or "Content-Type" in request.headers
        plaintext: str | None = None
        reply: Reply | None = None
        if has_body:
            media = request.headers.get("Content-Type", "").split(";")[0].strip()
            if media != "text/plain":
                reply = Reply.nest(400, 'Request body type is not "text/plain".')
            else:
                try:
                    plaintext = aes_decrypt(body, self.key, self.iv)
                except Exception:
                    reply = Reply.nest(400, DECRYPT_FAILED)
        recorded = Recorded(
            method=request.method,
            path=raw_path,
            headers=dict(request.headers),
            body=body,
            plaintext=plaintext,
            remote_port=int(request.environ.get("REMOTE_PORT", 0)),
        )
        with self._lock:
            self.requests.append(recorded)
        if reply is None:
            handler = self.handlers.get((request.method, raw_path))
            if handler is None:
                reply = Reply.nest(404, f"Cannot {request.method} {raw_path}")
            else:
                reply = handler(recorded)
        if reply.delay_s:
            time.sleep(reply.delay_s)
        response = Response(reply.body, status=reply.status, headers=reply.headers)
        if reply.content_type is None:
            response.headers.pop("Content-Type", None)
        else:
            response.headers["Content-Type"] = reply.content_type
        return response

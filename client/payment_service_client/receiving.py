"""`WebhookVerifier`: check and decode the server's webhooks in any web framework's view.

One object holds what a receiver needs (the connection key/IV, the signing secrets, the
previous key pairs while the server rotates them) and turns a request into a
`PaymentWebhook`, or raises a `WebhookError` whose `status` is the answer to give (401 for a
bad signature, 400 for a body that does not decode). Adapters for Flask, Starlette/FastAPI
and Django read the raw body and headers the way each framework exposes them; the SDK
imports none of them. Runnable receivers for each are in client/examples/.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .models import PaymentWebhook
from .webhooks import (
    DEFAULT_TOLERANCE_S,
    HeaderSource,
    KeyPair,
    Secret,
    decode_webhook,
    verify_webhook_signature,
)


@dataclass(frozen=True)
class WebhookVerifier:
    """Verifies and decodes webhooks for one receiver.

    Args:
        key, iv: the connection key and IV (``PAYMENT_CONNECTION_ENCRYPTION_KEY``/``_IV``).
        secrets: the webhook signing secret(s) (``PAYMENT_WEBHOOK_SIGNING_SECRET``); when
            given, every webhook must carry a valid Standard Webhooks signature. Leave empty
            only for a server that does not sign.
        previous_keys: older ``(key, iv)`` pairs still accepted during a key rotation.
        tolerance_s: how far the signature's timestamp may be from now, in seconds.
    """

    key: str
    iv: str
    secrets: Iterable[Secret] = ()
    previous_keys: Iterable[KeyPair] = ()
    tolerance_s: float = DEFAULT_TOLERANCE_S
    _secrets: tuple[Secret, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        found = (self.secrets,) if isinstance(self.secrets, str | bytes) else tuple(self.secrets)
        # Frozen: set once here, so that an iterator given as `secrets` is read only once.
        object.__setattr__(self, "_secrets", found)
        object.__setattr__(self, "previous_keys", tuple(self.previous_keys))

    def __repr__(self) -> str:
        # Never show the key, the IV or a secret.
        return f"WebhookVerifier(signed={bool(self._secrets)})"

    def verify(self, headers: HeaderSource, body: str | bytes) -> PaymentWebhook:
        """The webhook of a request with these `headers` and raw `body`.

        Raises `WebhookSignatureError` (``status`` 401) or `WebhookDecodeError` (400).
        """
        if self._secrets:
            verify_webhook_signature(self._secrets, headers, body, self.tolerance_s)
        return decode_webhook(body, self.key, self.iv, self.previous_keys)

    def flask(self, request: Any) -> PaymentWebhook:
        """`verify` a Flask (Werkzeug) request: ``flask.request`` inside a view."""
        return self.verify(request.headers, request.get_data())

    async def starlette(self, request: Any) -> PaymentWebhook:
        """`verify` a Starlette or FastAPI ``Request`` (reads its body: await it)."""
        return self.verify(request.headers, await request.body())

    def django(self, request: Any) -> PaymentWebhook:
        """`verify` a Django ``HttpRequest`` (``request.headers`` and ``request.body``)."""
        return self.verify(request.headers, request.body)

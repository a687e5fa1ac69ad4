"""Standard Webhooks signatures, as PortOne V2 signs its webhooks and its SDKs verify them.

Headers `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature`
(`v1,<base64 HMAC-SHA256>` entries separated by spaces); the HMAC key is the base64 part of the
`whsec_...` secret and the signed text is `<id>.<timestamp>.<body>`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Mapping

PREFIX = "whsec_"
TOLERANCE_S = 5 * 60


def secret_bytes(secret: str) -> bytes:
    """The HMAC key of a `whsec_<base64>` secret (the prefix is optional)."""
    encoded = secret[len(PREFIX) :] if secret.startswith(PREFIX) else secret
    key = base64.b64decode(encoded, validate=True)
    if not key:
        raise ValueError("empty webhook secret")
    return key


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message_id, timestamp, body),
    }


def verify(
    secret: str,
    received: Mapping[str, str],
    body: bytes,
    *,
    now: float | None = None,
    tolerance_s: int = TOLERANCE_S,
) -> bool:
    """Whether `received` headers sign `body` with `secret`, within the timestamp tolerance."""
    message_id = received.get("webhook-id")
    stamp = received.get("webhook-timestamp")
    signatures = received.get("webhook-signature")
    if not message_id or not stamp or not signatures:
        return False
    try:
        timestamp = int(stamp)
    except ValueError:
        return False
    current = int(time.time() if now is None else now)
    if abs(current - timestamp) > tolerance_s:
        return False
    expected = signature(secret, message_id, timestamp, body).encode()
    return any(hmac.compare_digest(expected, entry.encode()) for entry in signatures.split(" "))

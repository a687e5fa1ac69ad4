"""Receiving the server's webhooks: decrypt the payload, check the optional signature.

The payload (docs/payment-api.md §4.8) is ``{id, source, previous, current}`` as JSON,
AES-encrypted with the connection key/IV and POSTed as ``text/plain``: `decode_webhook`
reverses that.

Signatures follow the Standard Webhooks specification (https://www.standardwebhooks.com):
three headers ::

    webhook-id:         the event id (equal to the payload's ``id``)
    webhook-timestamp:  Unix seconds when the attempt was signed
    webhook-signature:  "v1,<base64 HMAC-SHA256>" entries separated by spaces

The HMAC covers ``f"{webhook-id}.{webhook-timestamp}.{body}"`` where body is the exact
request body (the base64 ciphertext). Several entries let a sender sign with an old and a
new secret while rotating. The server signs with `sign_webhook`, the receiver checks with
`verify_webhook_signature`: one implementation for both sides.

Key derivation from a secret (what both functions do):

* ``"whsec_<base64>"``: the HMAC key is the base64-decoding of the part after ``whsec_``
  (the Standard Webhooks convention; libraries such as ``standardwebhooks`` interoperate);
* any other `str`: the HMAC key is its UTF-8 encoding, unchanged;
* `bytes`: used as the HMAC key as they are.

Nothing here imports a web framework: pass the raw body and the headers of whatever you use.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from .cipher import Cipher, DecryptionError
from .errors import WebhookDecodeError, WebhookSignatureError
from .models import PaymentWebhook, ScheduleWebhook

WEBHOOK_ID_HEADER = "webhook-id"
WEBHOOK_TIMESTAMP_HEADER = "webhook-timestamp"
WEBHOOK_SIGNATURE_HEADER = "webhook-signature"
SECRET_PREFIX = "whsec_"
SIGNATURE_VERSION = "v1"
DEFAULT_TOLERANCE_S = 300

Secret = str | bytes
KeyPair = tuple[str, str] | Mapping[str, str]
"""A connection key/IV pair: ``(key, iv)`` or ``{"key": ..., "iv": ...}``."""
HeaderSource = Mapping[str, str] | Iterable[tuple[str, str]] | Any
"""A dict, a list of pairs, or any object with ``items()`` (Flask/Werkzeug, requests...)."""

_TIMESTAMP = re.compile(r"[0-9]{1,12}")


def decode_webhook(
    body: str | bytes, key: str, iv: str, previous_keys: Iterable[KeyPair] = ()
) -> PaymentWebhook:
    """Decrypt and parse a webhook request body with the connection key/IV.

    `body` is the raw ``text/plain`` request body. `previous_keys` are more pairs to try, as
    ``(key, iv)`` tuples or ``{"key", "iv"}`` dicts (the form of the server's
    ``PAYMENT_CONNECTION_PREVIOUS_KEYS``): while the connection key is rotated, a receiver
    accepts the old and the new pair. Only a JSON plaintext counts as decrypted (a wrong key
    may still unpad). Raises `WebhookDecodeError` when no pair decrypts it (wrong key/IV, not
    ciphertext) or it is not a webhook payload.
    """
    payload = _decrypt_with_any(body, [(key, iv), *(_pair(p) for p in previous_keys)])
    try:
        return PaymentWebhook.from_dict(payload)
    except (ValueError, TypeError) as error:
        raise WebhookDecodeError(f"the webhook body is not a payment webhook: {error}") from None


def decode_schedule_webhook(
    body: str | bytes, key: str, iv: str, previous_keys: Iterable[KeyPair] = ()
) -> ScheduleWebhook:
    """Decrypt and parse a schedule's event, as `decode_webhook` does a payment's; raises
    `WebhookDecodeError` when it does not decrypt or is not a schedule event."""
    payload = _decrypt_with_any(body, [(key, iv), *(_pair(p) for p in previous_keys)])
    try:
        return ScheduleWebhook.from_dict(payload)
    except (KeyError, ValueError, TypeError) as error:
        raise WebhookDecodeError(f"the webhook body is not a schedule event: {error}") from None


def _pair(pair: KeyPair) -> tuple[str, str]:
    if isinstance(pair, Mapping):
        return pair["key"], pair["iv"]
    key, iv = pair
    return key, iv


def _decrypt_with_any(body: str | bytes, pairs: list[tuple[str, str]]) -> Any:
    ciphers = [Cipher(key, iv) for key, iv in pairs]  # raises ValueError on an unusable pair
    for cipher in ciphers:
        try:
            return cipher.decrypt_json(body)
        except DecryptionError:
            continue
    raise WebhookDecodeError(
        "the webhook body does not decrypt with this key/IV "
        "(is it the server's PAYMENT_CONNECTION_ENCRYPTION_KEY/IV?)"
    )


def webhook_key(secret: Secret) -> bytes:
    """The HMAC key for `secret`: ``whsec_`` + base64 is decoded, other text is UTF-8."""
    if isinstance(secret, bytes):
        key = secret
    elif secret.startswith(SECRET_PREFIX):
        try:
            key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
        except binascii.Error:
            raise ValueError("a whsec_ webhook secret must be base64 after the prefix") from None
    else:
        key = secret.encode("utf-8")
    if not key:
        raise ValueError("the webhook secret must not be empty")
    return key


def generate_webhook_secret(nbytes: int = 32) -> str:
    """A new random secret in the ``whsec_<base64>`` form."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(nbytes)).decode("ascii")


def sign_webhook(
    secret: Secret | Iterable[Secret], id: str, timestamp: int | datetime, body: str | bytes
) -> dict[str, str]:
    """The three Standard Webhooks headers for one delivery attempt of `body`.

    `secret` is one secret, or several (while rotating: `webhook-signature` then holds one
    ``v1,…`` entry per secret, in the order given, so receivers knowing either accept it).
    `timestamp` is Unix seconds (or an aware datetime) of the attempt; `body` must be the
    exact bytes that will be sent.
    """
    seconds = int(timestamp.timestamp()) if isinstance(timestamp, datetime) else int(timestamp)
    keys = [webhook_key(item) for item in _secrets(secret)]
    payload = _bytes(body)
    signatures = (_signature(key, id, str(seconds), payload) for key in keys)
    return {
        WEBHOOK_ID_HEADER: id,
        WEBHOOK_TIMESTAMP_HEADER: str(seconds),
        WEBHOOK_SIGNATURE_HEADER: " ".join(f"{SIGNATURE_VERSION},{s}" for s in signatures),
    }


def _secrets(secret: Secret | Iterable[Secret]) -> list[Secret]:
    found = [secret] if isinstance(secret, str | bytes) else list(secret)
    if not found:
        raise ValueError("no webhook secret given")
    return found


def verify_webhook_signature(
    secret: Secret | Iterable[Secret],
    headers: HeaderSource,
    body: str | bytes,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
    *,
    now: float | None = None,
) -> None:
    """Check a webhook's Standard Webhooks signature; raise `WebhookSignatureError` if bad.

    `secret` may be one secret or several (accept old and new while rotating). `headers`
    are the request headers (names are matched case-insensitively), `body` the raw request
    body. The timestamp must be within `tolerance_s` seconds of `now` (default: the clock)
    in either direction, which bounds replays; de-duplicate on ``webhook-id`` as well.
    """
    found = _header_lookup(headers)
    webhook_id = found.get(WEBHOOK_ID_HEADER)
    stamp = found.get(WEBHOOK_TIMESTAMP_HEADER)
    signatures = found.get(WEBHOOK_SIGNATURE_HEADER)
    if not webhook_id or not stamp or not signatures:
        missing = [
            name
            for name, value in (
                (WEBHOOK_ID_HEADER, webhook_id),
                (WEBHOOK_TIMESTAMP_HEADER, stamp),
                (WEBHOOK_SIGNATURE_HEADER, signatures),
            )
            if not value
        ]
        raise WebhookSignatureError(f"missing header(s): {', '.join(missing)}")
    if not _TIMESTAMP.fullmatch(stamp):
        raise WebhookSignatureError(f"{WEBHOOK_TIMESTAMP_HEADER} is not Unix seconds: {stamp!r}")
    current = time.time() if now is None else now
    age = current - int(stamp)
    if age > tolerance_s:
        raise WebhookSignatureError(f"the webhook timestamp is too old ({int(age)} s)")
    if -age > tolerance_s:
        raise WebhookSignatureError(f"the webhook timestamp is in the future ({int(-age)} s)")

    offered = [
        value
        for version, _, value in (entry.partition(",") for entry in signatures.split())
        if version == SIGNATURE_VERSION and value
    ]
    payload = _bytes(body)
    for key in (webhook_key(item) for item in _secrets(secret)):
        expected = _signature(key, webhook_id, stamp, payload).encode("ascii")
        # Every offered signature is compared in constant time; stop at the first match.
        for candidate in offered:
            if hmac.compare_digest(expected, candidate.encode("utf-8")):
                return
    raise WebhookSignatureError("no webhook signature matches")


def _signature(key: bytes, webhook_id: str, stamp: str, body: bytes) -> str:
    signed = f"{webhook_id}.{stamp}.".encode() + body
    return base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode("ascii")


def _bytes(body: str | bytes) -> bytes:
    return body.encode("utf-8") if isinstance(body, str) else bytes(body)


def _header_lookup(headers: HeaderSource) -> dict[str, str]:
    pairs = headers.items() if hasattr(headers, "items") else headers
    # First occurrence wins, as most frameworks' `get` does.
    found: dict[str, str] = {}
    for name, value in pairs:
        found.setdefault(str(name).lower(), str(value))
    return found

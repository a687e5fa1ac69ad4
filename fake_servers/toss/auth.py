"""Basic authentication with the merchant's secret key, checked the way the original fake does."""

from __future__ import annotations

import string
from collections.abc import Callable

from fake_servers.common.http import HttpError

DEFAULT_SECRET_KEY = "test_ak_ZORzdMaqN3wQd5k6ygr5AkYXQGwy"

_ALPHABET = string.ascii_uppercase + string.ascii_lowercase + string.digits + "+/"
_SEXTETS = {char: index for index, char in enumerate(_ALPHABET)}
# Node's decoder reads the URL-safe alphabet as well.
_SEXTETS |= {"-": 62, "_": 63}


def lenient_b64decode(text: str) -> str:
    """Decode base64 as Node's `Buffer.from(text, "base64").toString("binary")` does.

    The original decodes the token with that call, which never fails: unknown characters are
    skipped, the first `=` ends the data, and a trailing partial byte is dropped. Clients may
    therefore send sloppy tokens that the original accepted.
    """
    out = bytearray()
    buffer = 0
    bits = 0
    for char in text:
        if char == "=":
            break
        value = _SEXTETS.get(char)
        if value is None:
            continue
        buffer = (buffer << 6) | value
        bits += 6
        if bits >= 8:
            bits -= 8
            out.append((buffer >> bits) & 0xFF)
            buffer &= (1 << bits) - 1
    return out.decode("latin-1")


def authenticate(header: str | None, accepts: Callable[[str], bool]) -> None:
    """Raise the original's 403 unless `header` carries an accepted secret key.

    The header is `Basic base64("<secret>:")`. Whatever the last decoded character is, it is
    dropped before the comparison: the original strips the `:` that way, so a token whose colon
    is missing loses the key's own last character and is refused.
    """
    if header is None:
        raise HttpError(403, "No authorization token exists.")
    if not header.startswith("Basic "):
        raise HttpError(403, "Invalid authorization token.")
    decoded = lenient_b64decode(header[len("Basic ") :])
    if not accepts(decoded[:-1]):
        raise HttpError(403, "Wrong authorization token.")

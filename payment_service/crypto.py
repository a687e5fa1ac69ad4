"""AES-CBC-PKCS#7-base64, the cipher of the wire and of the data at rest, and record passwords.

The cipher is fixed by compatibility with the original server and its SDK
(docs/payment-api.md §1.1): the key and IV are ASCII strings used as their bytes, the IV is
static, and there is no MAC. Because there is no MAC, every way a ciphertext can fail to
decrypt must look the same to a caller (`DecryptionError` carries no detail), so that no
padding oracle exists.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import os
import threading
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from Crypto.Cipher import AES
from Crypto.Protocol.KDF import bcrypt, bcrypt_check
from Crypto.Util.Padding import pad, unpad

from .wire import dumps

KEY_LENGTHS = (16, 24, 32)
IV_LENGTH = 16
BCRYPT_COST = 10
BCRYPT_MAX_BYTES = 72


class DecryptionError(Exception):
    """The text could not be decrypted. Deliberately says nothing about why."""


def key_problem(key: str) -> str | None:
    """Why `key` cannot be an AES key, or None when it can."""
    if not key.isascii():
        return "must be ASCII"
    if len(key) not in KEY_LENGTHS:
        return f"must be 16, 24 or 32 characters long (got {len(key)})"
    return None


def iv_problem(iv: str) -> str | None:
    """Why `iv` cannot be an AES IV, or None when it can."""
    if not iv.isascii():
        return "must be ASCII"
    if len(iv) != IV_LENGTH:
        return f"must be 16 characters long (got {len(iv)})"
    return None


@dataclass(frozen=True)
class Cipher:
    """One key/IV pair; `encrypt`/`decrypt` work on text, the `*_json` variants on values."""

    key: str
    iv: str

    def __post_init__(self) -> None:
        problem = key_problem(self.key) or iv_problem(self.iv)
        if problem:
            raise ValueError(f"invalid AES key or IV: {problem}")

    def _aes(self) -> Any:
        return AES.new(self.key.encode("ascii"), AES.MODE_CBC, self.iv.encode("ascii"))

    def encrypt(self, text: str) -> str:
        raw = self._aes().encrypt(pad(text.encode("utf-8"), AES.block_size))
        return base64.b64encode(raw).decode("ascii")

    def decrypt(self, text: str | bytes) -> str:
        try:
            raw = _lenient_b64decode(text)
            if not raw or len(raw) % AES.block_size:
                raise DecryptionError
            return unpad(self._aes().decrypt(raw), AES.block_size).decode("utf-8")
        except (ValueError, UnicodeDecodeError, binascii.Error):
            raise DecryptionError from None

    def encrypt_json(self, value: Any) -> str:
        return self.encrypt(dumps(value))

    def decrypt_json(self, text: str | bytes) -> Any:
        """Decrypt and parse; non-JSON plaintext is a DecryptionError like any other failure."""
        try:
            return loads(self.decrypt(text))
        except ValueError:
            raise DecryptionError from None


def _lenient_b64decode(text: str | bytes) -> bytes:
    """Accept what Node's decoder accepts: missing padding, whitespace, URL-safe letters."""
    if isinstance(text, bytes):
        text = text.decode("ascii")
    compact = "".join(text.split()).replace("-", "+").replace("_", "/").rstrip("=")
    return base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)


# Deeper JSON than this is refused before parsing: nothing this server reads nests beyond a
# handful of levels, and a recursive parser on 100,000 brackets would exhaust the stack.
MAX_JSON_DEPTH = 64


class JSONTooDeep(ValueError):
    """The JSON text nests deeper than MAX_JSON_DEPTH (a ValueError, like any invalid JSON)."""


def json_depth_exceeds(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when `text` opens more than `limit` arrays/objects inside each other.

    Fast path: a text with few brackets cannot nest deep. Otherwise one scan, skipping
    strings (whose brackets do not count)."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    in_string = escaped = False
    for character in text:
        if in_string:
            if escaped:
                escaped = False
            elif character == "\\":
                escaped = True
            elif character == '"':
                in_string = False
        elif character == '"':
            in_string = True
        elif character in "[{":
            depth += 1
            if depth > limit:
                return True
        elif character in "]}":
            depth -= 1
    return False


def loads(text: str) -> Any:
    """Parse JSON keeping fractional numbers exact (as Decimal): money must not pass via float.

    Raises ValueError (JSONTooDeep) for nesting deeper than MAX_JSON_DEPTH."""
    if json_depth_exceeds(text):
        raise JSONTooDeep(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    return json.loads(text, parse_float=Decimal, parse_constant=_not_json)


def _not_json(constant: str) -> Any:
    # Python's parser accepts NaN and Infinity; JSON (and JavaScript's JSON.parse) do not.
    raise ValueError(f"{constant} is not JSON")


# bcrypt is pure CPU: running more at once than there are cores makes each one slower and
# starves every other request of CPU (a health check behind 32 concurrent look-ups waited
# seconds). One core is left for everything else; beyond this many, a password check waits
# its turn without using any CPU.
_BCRYPT_SLOTS = threading.BoundedSemaphore(max(1, (os.cpu_count() or 1) - 1))


def hash_password(password: str) -> str:
    """bcrypt, cost 10, as the original stores them (`$2a$10$...`), so databases are shareable."""
    with _BCRYPT_SLOTS:
        return bcrypt(_bcrypt_input(password), BCRYPT_COST).decode("ascii")


def check_password(password: str, hashed: str) -> bool:
    """Constant-time bcrypt verification; any malformed hash is simply a mismatch."""
    try:
        with _BCRYPT_SLOTS:
            bcrypt_check(_bcrypt_input(password), _normalize_prefix(hashed).encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        return False
    return True


# A valid hash that no password produces, so unknown records cost the same time as known ones.
_DECOY_HASH = "$2a$10$" + "N" * 53


def burn_password_check(password: str) -> None:
    """Spend one bcrypt verification, to keep 'not found' as slow as 'wrong password'."""
    check_password(password, _DECOY_HASH)


def _bcrypt_input(password: str) -> bytes:
    # bcryptjs silently uses the first 72 bytes; pycryptodome refuses longer input. (It also
    # refuses NUL bytes: input validation keeps those out of passwords.)
    return password.encode("utf-8")[:BCRYPT_MAX_BYTES]


def _normalize_prefix(hashed: str) -> str:
    # bcryptjs writes $2a$, other libraries $2b$/$2y$; the algorithm is the same.
    if hashed.startswith(("$2b$", "$2y$")):
        return "$2a$" + hashed[4:]
    return hashed


def constant_time_equals(a: str | bytes, b: str | bytes) -> bool:
    if isinstance(a, str):
        a = a.encode("utf-8")
    if isinstance(b, str):
        b = b.encode("utf-8")
    return hmac.compare_digest(a, b)

"""AES-CBC-PKCS#7-base64, the cipher of the payment server's wire (docs/payment-api.md §1.1).

The cipher is fixed by compatibility with the original server and its SDK: the key and IV are
ASCII strings used as their bytes, the IV is static, and there is no MAC. Because there is no
MAC, every way a ciphertext can fail to decrypt must look the same to a caller
(`DecryptionError` carries no detail), so that no padding oracle exists. The server encrypts
with this same class (`payment_service.crypto` re-exports it).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from Crypto.Cipher import AES
from Crypto.Util.Padding import pad, unpad

from .encoding import dumps, loads

KEY_LENGTHS = (16, 24, 32)
IV_LENGTH = 16


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

"""The wire of docs/payment-api.md §1, written independently of `payment_service.crypto`.

The stub server reads and writes bodies with these functions (a transcription of the
reference in docs/payment-api.md §1.5), so the SDK's encryption is checked against the
documented wire, not against the module it is built on.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from Crypto.Cipher import AES
from Crypto.Util.Padding import pad, unpad

KEY = "MCKOxv9B23r7EatArCFcBP03nfaS03T8"
IV = "9haeYD1tIf4v8xs7"


def aes_encrypt(text: str, key: str = KEY, iv: str = IV) -> str:
    cipher = AES.new(key.encode("utf-8"), AES.MODE_CBC, iv.encode("utf-8"))
    return base64.b64encode(cipher.encrypt(pad(text.encode("utf-8"), 16))).decode("ascii")


def aes_decrypt(b64: str, key: str = KEY, iv: str = IV) -> str:
    raw = base64.b64decode(b64 + "=" * (-len(b64) % 4))
    cipher = AES.new(key.encode("utf-8"), AES.MODE_CBC, iv.encode("utf-8"))
    return unpad(cipher.decrypt(raw), 16).decode("utf-8")


def js_stringify(value: Any) -> str:
    """JSON.stringify's form (docs/payment-api.md §1.1): compact, raw UTF-8, insertion order."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)

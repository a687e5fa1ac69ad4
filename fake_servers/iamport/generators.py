"""The random values the original fake fills its records with."""

from __future__ import annotations

import random
import string
import uuid

RECEIPT_URL = "https://github.com/samchon/fake-iamport-server"

# Only real Hangul syllables (U+AC00..U+D7A3); the original starts one code point lower, at a
# character that is not a syllable.
_FIRST_SYLLABLE = 0xAC00
_LAST_SYLLABLE = 0xD7A3


def new_id() -> str:
    return str(uuid.uuid4())


def hangul_name(length: int = 3) -> str:
    return "".join(chr(random.randint(_FIRST_SYLLABLE, _LAST_SYLLABLE)) for _ in range(length))


def mobile_number() -> str:
    return f"010{random.randint(0, 9999):03d}{random.randint(0, 9999):04d}"


def email_address() -> str:
    return "".join(random.choices(string.ascii_lowercase, k=8)) + "@samchon.org"


def channel() -> str:
    return "pc" if random.random() < 0.5 else "mobile"


def account_number() -> str:
    return str(random.randint(100_000_000, 999_999_999))


def otp() -> str:
    return f"{random.randint(0, 9999):04d}"

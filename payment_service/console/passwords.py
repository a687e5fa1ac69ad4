"""Operators' passwords: argon2id hashes (argon2-cffi's defaults, RFC 9106's second choice).

Hashes carry their own parameters, so a hash made with other parameters (older defaults, or
the cheap ones a test sets on `hasher`) still verifies, and is rehashed at the next login.
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

hasher = PasswordHasher()
MIN_LENGTH = 12


@cache
def _dummy(hasher: PasswordHasher) -> str:
    # Verified when the email is unknown, so that an unknown operator costs as much as a wrong
    # password and timing does not tell which emails exist.
    return hasher.hash("no operator has this password")


def hash_password(password: str) -> str:
    return hasher.hash(password)


def verify(hashed: str | None, password: str) -> bool:
    try:
        return hasher.verify(hashed or _dummy(hasher), password) and hashed is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(hashed: str) -> bool:
    return hasher.check_needs_rehash(hashed)


def weakness(password: str) -> str | None:
    """Why `password` may not be an operator's, or None."""
    if len(password) < MIN_LENGTH:
        return f"a password must have at least {MIN_LENGTH} characters"
    return None

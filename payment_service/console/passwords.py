"""Operators' passwords: argon2id hashes (argon2-cffi's defaults, RFC 9106's second choice)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()
# Verified when the email is unknown, so that an unknown operator costs as much as a wrong
# password and timing does not tell which emails exist.
_DUMMY = _hasher.hash("no operator has this password")
MIN_LENGTH = 12


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(hashed: str | None, password: str) -> bool:
    try:
        return _hasher.verify(hashed or _DUMMY, password) and hashed is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(hashed: str) -> bool:
    return _hasher.check_needs_rehash(hashed)


def weakness(password: str) -> str | None:
    """Why `password` may not be an operator's, or None."""
    if len(password) < MIN_LENGTH:
        return f"a password must have at least {MIN_LENGTH} characters"
    return None

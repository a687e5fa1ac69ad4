"""Record passwords (bcrypt), and the cipher of the wire and of the data at rest.

The cipher and the wire's JSON live in the SDK's distribution (`payment_service_client`), so
that the server and every client encrypt with the one implementation; they are re-exported
here for the server's modules. See `payment_service_client.cipher` for why a failed decryption
says nothing about why it failed.
"""

from __future__ import annotations

import hmac
import os
import threading

from Crypto.Protocol.KDF import bcrypt, bcrypt_check
from payment_service_client.cipher import (
    IV_LENGTH,
    KEY_LENGTHS,
    Cipher,
    DecryptionError,
    _lenient_b64decode,
    iv_problem,
    key_problem,
)
from payment_service_client.encoding import (
    MAX_JSON_DEPTH,
    JSONTooDeep,
    dumps,
    json_depth_exceeds,
    loads,
)

__all__ = [
    "BCRYPT_COST",
    "BCRYPT_MAX_BYTES",
    "IV_LENGTH",
    "KEY_LENGTHS",
    "MAX_JSON_DEPTH",
    "Cipher",
    "DecryptionError",
    "JSONTooDeep",
    "_lenient_b64decode",
    "burn_password_check",
    "check_password",
    "constant_time_equals",
    "dumps",
    "hash_password",
    "iv_problem",
    "json_depth_exceeds",
    "key_problem",
    "loads",
]

BCRYPT_COST = 10
BCRYPT_MAX_BYTES = 72


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

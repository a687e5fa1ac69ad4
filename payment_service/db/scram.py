"""SCRAM-SHA-256 password verifiers, computed here so that a role's password never reaches the
PostgreSQL server (nor its statement log, `log_statement=ddl`): `CREATE ROLE … PASSWORD` is given
the verifier, which PostgreSQL stores as it is (RFC 5802/7677, PostgreSQL's
`SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` form)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import unicodedata

# PostgreSQL's own default (scram_iterations).
ITERATIONS = 4096
SALT_BYTES = 16
PREFIX = "SCRAM-SHA-256$"


def _normalized(password: str) -> bytes:
    """The bytes PostgreSQL hashes: the password after SASLprep (NFKC normalization, which is
    what it changes in practice); an ASCII password is used as it is."""
    if password.isascii():
        return password.encode()
    return unicodedata.normalize("NFKC", password).encode()


def verifier(password: str, *, salt: bytes | None = None, iterations: int = ITERATIONS) -> str:
    """The SCRAM-SHA-256 verifier of `password` (a fresh random salt unless given)."""
    salt = os.urandom(SALT_BYTES) if salt is None else salt
    salted = hashlib.pbkdf2_hmac("sha256", _normalized(password), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode("ascii")

    return f"{PREFIX}{iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def matches(stored: str, password: str) -> bool:
    """Whether the verifier `stored` was made from `password` (what the server checks)."""
    try:
        head, keys = stored.removeprefix(PREFIX).split("$")
        iterations, salt = head.split(":")
        expected = verifier(password, salt=base64.b64decode(salt), iterations=int(iterations))
    except ValueError:
        return False
    return stored.startswith(PREFIX) and hmac.compare_digest(expected, stored) and bool(keys)

"""Strong, distinct keys and IVs for tests of `dev`/`real` mode (which refuse weak or reused
ones). Deterministic, so a failing test shows the same values every run."""

from __future__ import annotations

import random
import string

from payment_service.settings import PUBLISHED_KEYS

_ALPHABET = string.ascii_letters + string.digits


def secret_value(seed: str, length: int) -> str:
    return "".join(random.Random(f"{seed}:{length}").choices(_ALPHABET, k=length))


def secret_keys_env() -> dict[str, str]:
    """PAYMENT_<TABLE>_ENCRYPTION_KEY / _IV for every table, each its own random value, and
    the idempotency fingerprint key."""
    env: dict[str, str] = {}
    for table in PUBLISHED_KEYS:
        env[f"PAYMENT_{table}_ENCRYPTION_KEY"] = secret_value(f"{table}-key", 32)
        env[f"PAYMENT_{table}_ENCRYPTION_IV"] = secret_value(f"{table}-iv", 16)
    env["PAYMENT_IDEMPOTENCY_FINGERPRINT_KEY"] = secret_value("fingerprint", 43)
    return env

"""Keys and IVs for tests: random-looking, distinct, and the same on every run."""

from __future__ import annotations

import random
import string
from collections.abc import Iterable

ALPHABET = string.ascii_letters + string.digits


def secret_pairs(tables: Iterable[str], seed: str) -> dict[str, tuple[str, str]]:
    """A (32-character key, 16-character IV) pair per table, drawn from `seed` so that a
    failure can be replayed; different seeds give different pairs."""
    draw = random.Random(seed)

    def text(length: int) -> str:
        return "".join(draw.choice(ALPHABET) for _ in range(length))

    return {table: (text(32), text(16)) for table in tables}

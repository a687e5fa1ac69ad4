"""Refusing keys that protect nothing: reused across tables, or guessable.

`real` mode runs every encryption key and IV through `key_problems` at start. It is a plain
function over `{variable name: value}` so that any setting holding a key (current or previous
ones) can be checked the same way, and every problem is named at once.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Mapping

# Bits of Shannon entropy per character below which a key is refused. 16 characters drawn at
# random from the 62 letters and digits score about 3.7 (32 characters about 4.5); keys such as
# "abcdabcd…" (2.0) or "aaaaaaab…" (< 1) are far below.
MIN_ENTROPY_BITS_PER_CHAR = 3.0


def weakness(value: str) -> str | None:
    """Why `value` is too guessable for a key or IV, or None."""
    if not value:
        return None
    if len(set(value)) == 1:
        return "is a single repeated character"
    counts = Counter(value)
    entropy = -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())
    if entropy < MIN_ENTROPY_BITS_PER_CHAR:
        return f"has too little entropy ({entropy:.1f} bits per character; use random characters)"
    steps = [ord(b) - ord(a) for a, b in itertools.pairwise(value)]
    if len(steps) and sum(1 for step in steps if abs(step) == 1) * 2 > len(steps):
        return "is mostly a run of consecutive characters (e.g. 0123…, abcd…)"
    return None


def key_problems(values: Mapping[str, str]) -> list[str]:
    """Every problem with these keys/IVs: each weak value, and each value used more than once."""
    problems = [
        f"{name}: {reason}"
        for name, value in values.items()
        if (reason := weakness(value)) is not None
    ]
    holders: dict[str, list[str]] = defaultdict(list)
    for name, value in values.items():
        if value:
            holders[value].append(name)
    for names in holders.values():
        if len(names) > 1:
            problems.append(
                f"{' and '.join(names)}: the same value is used more than once; "
                "each key and IV must be its own secret"
            )
    return problems

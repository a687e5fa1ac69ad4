"""JSON as the payment server's wire writes and reads it (docs/payment-api.md §1.1).

Written as JavaScript's JSON.stringify writes it (the original server is Node), read with
fractional numbers kept exact (as Decimal: money must not pass via float). The server's wire
(`payment_service.wire`) uses these same functions.
"""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from typing import Any

# Decimals whose integer form has more digits than this print as floats, as JavaScript would:
# int(Decimal("1E+1000000")) would build a million-digit number (seconds of CPU per request).
_MAX_INTEGER_DIGITS = 30


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        # Integral amounts print as JS integers; others keep their exact decimal digits. What a
        # JS number cannot hold (1E+400: Infinity, NaN) prints as null, as JSON.stringify does.
        # adjusted() reads the exponent, so no huge integer is ever built.
        if not value.is_finite() or value.adjusted() > 308:
            return None
        if value.adjusted() < -324:
            return 0
        if value.adjusted() < _MAX_INTEGER_DIGITS and value == value.to_integral_value():
            return int(value)
        number = float(value)
        return number if math.isfinite(number) else None
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def js_value(value: Any) -> Any:
    """`value` with integral floats as ints, as JavaScript prints numbers."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: js_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [js_value(v) for v in value]
    return value


def dumps(value: Any) -> str:
    """JSON as JavaScript's JSON.stringify writes it: compact, raw UTF-8, integers without .0.

    A lone surrogate (which a JSON text may carry as an escape, e.g. echoed in a validation
    error) is written back as its escape, as JSON.stringify does: it has no UTF-8 form."""
    text = json.dumps(js_value(value), separators=(",", ":"), ensure_ascii=False, default=_default)
    if _LONE_SURROGATE.search(text):
        text = _LONE_SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
    return text


# Deeper JSON than this is refused before parsing: nothing this server reads nests beyond a
# handful of levels, and a recursive parser on 100,000 brackets would exhaust the stack.
MAX_JSON_DEPTH = 64


class JSONTooDeep(ValueError):
    """The JSON text nests deeper than MAX_JSON_DEPTH (a ValueError, like any invalid JSON)."""


def json_depth_exceeds(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when `text` opens more than `limit` arrays/objects inside each other.

    Fast path: a text with few brackets cannot nest deep. Otherwise one scan, skipping
    strings (whose brackets do not count)."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    in_string = escaped = False
    for character in text:
        if in_string:
            if escaped:
                escaped = False
            elif character == "\\":
                escaped = True
            elif character == '"':
                in_string = False
        elif character == '"':
            in_string = True
        elif character in "[{":
            depth += 1
            if depth > limit:
                return True
        elif character in "]}":
            depth -= 1
    return False


def loads(text: str) -> Any:
    """Parse JSON keeping fractional numbers exact (as Decimal): money must not pass via float.

    Raises ValueError (JSONTooDeep) for nesting deeper than MAX_JSON_DEPTH."""
    if json_depth_exceeds(text):
        raise JSONTooDeep(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    return json.loads(text, parse_float=Decimal, parse_constant=_not_json)


def _not_json(constant: str) -> Any:
    # Python's parser accepts NaN and Infinity; JSON (and JavaScript's JSON.parse) do not.
    raise ValueError(f"{constant} is not JSON")

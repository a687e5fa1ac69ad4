"""The wire conventions of the original servers (NestJS on Fastify, validated by typia), once.

The payment server and the fake gateways (`fake_servers/`) both answer like the originals:
NestJS error bodies, typia's 400 bodies, JSON as JavaScript prints it, CORS as `enableCors()`
sets it, and "Cannot METHOD /path" for unknown routes. This module is that one definition.
It imports nothing else of `payment_service`, so the fakes can use it and stay independent
of the server; and no web framework (`wire.web` holds the Flask side), so the SDK can use it.
"""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from http import HTTPStatus
from typing import Any

JSON_TYPE = "application/json; charset=utf-8"

# What typia's `Format<"uuid">` accepts.
UUID_PATTERN = re.compile(
    r"^(?:urn:uuid:)?[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$", re.IGNORECASE
)

# -- JSON as JavaScript's JSON.stringify writes it ------------------------------------------

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


# -- error bodies ---------------------------------------------------------------------------


def error_body(status: int, message: str) -> dict[str, Any]:
    """NestJS's HttpException body."""
    return {"message": message, "error": HTTPStatus(status).phrase, "statusCode": status}


def fastify_body(status: int, message: str) -> dict[str, Any]:
    """Fastify's own refusals (before NestJS sees the request) carry no `error` phrase."""
    return {"statusCode": status, "message": message}


EMPTY_JSON = "Body cannot be empty when content-type is set to 'application/json'"

# Fastify's answer to a body over its limit (the fakes keep it; the server answers NestJS-style).
FASTIFY_TOO_LARGE = {
    "statusCode": 413,
    "code": "FST_ERR_CTP_BODY_TOO_LARGE",
    "error": "Payload Too Large",
    "message": "Request body is too large",
}

BODY_SOURCE = "typia.assert()"
BODY_MESSAGE = "Request body data is not following the promised type."
# The `value` of a key that was absent (left out of the body, unlike a null).
ABSENT: Any = object()


def validation_body(
    path: str,
    expected: str,
    value: Any = ABSENT,
    *,
    source: str = BODY_SOURCE,
    message: str = BODY_MESSAGE,
) -> dict[str, Any]:
    """typia's 400 body naming the first violation; `value` is left out when the key was
    absent. `source` is where typia ran (`typia.assert()`, `core.TypedBody()`, ...)."""
    body: dict[str, Any] = {
        "path": path,
        "reason": f"Error on {source}: invalid type on {path}, expect to be {expected}",
        "expected": expected,
    }
    if value is not ABSENT:
        body["value"] = value
    body["message"] = message
    return body


def invalid_uuid_parameter(name: str, value: str) -> dict[str, Any]:
    """The 400 body for a URL parameter that is not a UUID (nestia's TypedParam)."""
    expected = 'string & Format<"uuid">'
    return {
        "message": f'Invalid URL parameter value on "{name}".',
        "path": "$input",
        "expected": expected,
        "value": value,
        "reason": f"Error on typia.assert(): invalid type on $input, expect to be {expected}",
    }

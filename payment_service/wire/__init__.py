"""The wire conventions of the original servers (NestJS on Fastify, validated by typia), once.

The payment server and the fake gateways (`fake_servers/`) both answer like the originals:
NestJS error bodies, typia's 400 bodies, JSON as JavaScript prints it, CORS as `enableCors()`
sets it, and "Cannot METHOD /path" for unknown routes. This module is that one definition.
It imports nothing else of `payment_service`, so the fakes can use it and stay independent
of the server; and no web framework (`wire.web` holds the Flask side). Its JSON is the SDK's
(`payment_service_client.encoding`): the server depends on the client, never the reverse.
"""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

# JSON as JavaScript's JSON.stringify writes it: the SDK's, re-exported (one implementation for
# the server, the fakes and every client).
from payment_service_client.encoding import dumps as dumps
from payment_service_client.encoding import js_value as js_value

JSON_TYPE = "application/json; charset=utf-8"

# What typia's `Format<"uuid">` accepts.
UUID_PATTERN = re.compile(
    r"^(?:urn:uuid:)?[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$", re.IGNORECASE
)

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

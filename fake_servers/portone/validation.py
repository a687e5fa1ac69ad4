"""Checks of request bodies, answered as PortOne does: 400 `INVALID_REQUEST` naming the field.

Extra keys pass (PortOne adds fields over time and its SDKs send what they know).
"""

from __future__ import annotations

import json
import re
from typing import Any

from .errors import invalid_request

Json = dict[str, Any]
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
INT64_MAX = 2**63 - 1


def _bad(path: str, expected: str) -> Exception:
    return invalid_request(f"잘못된 요청입니다: `{path}` 필드는 {expected}이어야 합니다.")


def obj(value: Any, path: str = "body") -> Json:
    if not isinstance(value, dict):
        raise _bad(path, "객체(object)")
    return value


def _present(body: Json, key: str, path: str, expected: str, required: bool) -> Any:
    """The value at `key`; None when it is absent or null, which `required` refuses."""
    value = body.get(key)
    if value is None and required:
        raise _bad(f"{path}{key}", expected)
    return value


def string(body: Json, key: str, path: str = "", *, required: bool = True) -> str | None:
    value = _present(body, key, path, "문자열(string)", required)
    if value is not None and not isinstance(value, str):
        raise _bad(f"{path}{key}", "문자열(string)")
    return value


def integer(
    body: Json, key: str, path: str = "", *, required: bool = True, minimum: int | None = None
) -> int | None:
    value = _present(body, key, path, "정수(integer)", required)
    where = f"{path}{key}"
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) > INT64_MAX:
        raise _bad(where, "정수(integer)")
    if minimum is not None and value < minimum:
        raise _bad(where, f"{minimum} 이상의 정수")
    return value


def boolean(body: Json, key: str, path: str = "") -> bool | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise _bad(f"{path}{key}", "불리언(boolean)")
    return value


def child(body: Json, key: str, path: str = "", *, required: bool = True) -> Json | None:
    value = _present(body, key, path, "객체(object)", required)
    return None if value is None else obj(value, f"{path}{key}")


def strings(body: Json, key: str, path: str = "") -> list[str] | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _bad(f"{path}{key}", "문자열 배열(array of string)")
    return value


def timestamp(body: Json, key: str, path: str = "") -> str | None:
    value = string(body, key, path, required=False)
    if value is not None and not _RFC3339.match(value):
        raise _bad(f"{path}{key}", "RFC 3339 date-time")
    return value


def query_body(raw: str | None) -> Json:
    """The `requestBody` query parameter of PortOne's GET routes: a JSON object, or absent."""
    if raw is None or raw == "":
        return {}
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        raise invalid_request("잘못된 요청입니다: `requestBody`가 JSON이 아닙니다.") from None
    return obj(value, "requestBody")

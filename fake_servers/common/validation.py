"""Body and query validation with typia's `assert` semantics and error shape.

The original fakes validate with typia: extra keys are ignored, optional keys may be absent but
not null, numbers must be finite JSON numbers, patterns are regex *searches* (unanchored unless the
pattern says otherwise), and only the first violation, in declaration order, is reported.

A schema is built from the small classes below; `check(schema, value)` returns the first
`Violation` or None, and `require(...)` raises the 400 the fakes answer.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from payment_service.wire import ABSENT, UUID_PATTERN, validation_body

from .http import RawError

_MISSING = ABSENT

# typia's formats: an e-mail address and an absolute URI with a scheme.
_EMAIL = re.compile(
    r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$",
    re.IGNORECASE,
)
_URI = re.compile(r"^[a-z][a-z0-9+.-]*:[^\s]*$", re.IGNORECASE)
FORMATS = {"email": _EMAIL, "uri": _URI, "uuid": UUID_PATTERN}


@dataclass
class Violation:
    path: str
    expected: str
    value: Any = _MISSING

    def body(self, source: str, message: str) -> dict[str, Any]:
        """The 400 body: `source` is e.g. `core.TypedBody()`, `message` the trailing sentence."""
        return validation_body(self.path, self.expected, self.value, source=source, message=message)


class Schema:
    expected: str = "unknown"

    def violation(self, value: Any, path: str) -> Violation | None:
        raise NotImplementedError


class String(Schema):
    def __init__(self, pattern: str | None = None, format: str | None = None):
        self.pattern = re.compile(pattern) if pattern else None
        self.format = FORMATS[format] if format else None
        if pattern:
            self.expected = f'(string & Pattern<"{pattern}">)'
        elif format:
            self.expected = f'(string & Format<"{format}">)'
        else:
            self.expected = "string"

    def violation(self, value: Any, path: str) -> Violation | None:
        if not isinstance(value, str):
            return Violation(path, self.expected, value)
        if self.pattern is not None and not self.pattern.search(value):
            return Violation(path, self.expected, value)
        if self.format is not None and not self.format.match(value):
            return Violation(path, self.expected, value)
        return None


class Number(Schema):
    def __init__(self, minimum: float | None = None, integer: bool = False):
        self.minimum = minimum
        self.integer = integer
        tags = []
        if integer:
            tags.append('Type<"uint32">' if minimum == 0 else 'Type<"int32">')
        elif minimum is not None:
            tags.append(f"Minimum<{minimum:g}>")
        self.expected = "(number & " + " & ".join(tags) + ")" if tags else "number"

    def violation(self, value: Any, path: str) -> Violation | None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return Violation(path, self.expected, value)
        if not math.isfinite(value):
            return Violation(path, self.expected, value)
        if self.minimum is not None and value < self.minimum:
            return Violation(path, self.expected, value)
        if self.integer and not float(value).is_integer():
            return Violation(path, self.expected, value)
        return None


class Boolean(Schema):
    expected = "boolean"

    def violation(self, value: Any, path: str) -> Violation | None:
        return None if isinstance(value, bool) else Violation(path, self.expected, value)


class Literal(Schema):
    """One of a fixed set of strings (a union of literals in TypeScript)."""

    def __init__(self, *values: str):
        self.values = values
        quoted = " | ".join(f'"{v}"' for v in values)
        self.expected = quoted if len(values) == 1 else f"({quoted})"

    def violation(self, value: Any, path: str) -> Violation | None:
        if isinstance(value, str) and value in self.values:
            return None
        return Violation(path, self.expected, value)


class _Wrapper(Schema):
    """The inner type, or what the wrapper adds (`alternative`); a value the inner type refuses
    as a whole is reported against the wrapper's expectation."""

    def __init__(self, inner: Schema, alternative: str):
        self.inner = inner
        self.expected = f"({_bare(inner.expected)} | {alternative})"

    def _inner_violation(self, value: Any, path: str) -> Violation | None:
        found = self.inner.violation(value, path)
        if found is not None and found.path == path:
            return Violation(path, self.expected, value)
        return found


class Optional(_Wrapper):
    """A key that may be absent; present, it must not be null (unless the inner type allows)."""

    def __init__(self, inner: Schema):
        super().__init__(inner, "undefined")

    def violation(self, value: Any, path: str) -> Violation | None:
        return None if value is _MISSING else self._inner_violation(value, path)


class Nullable(_Wrapper):
    def __init__(self, inner: Schema):
        super().__init__(inner, "null")

    def violation(self, value: Any, path: str) -> Violation | None:
        if value is None:
            return None
        if value is _MISSING:
            return Violation(path, self.expected)
        return self._inner_violation(value, path)


class Array(Schema):
    def __init__(self, item: Schema):
        self.item = item
        self.expected = f"Array<{item.expected}>"

    def violation(self, value: Any, path: str) -> Violation | None:
        if not isinstance(value, list):
            return Violation(path, self.expected, value)
        for index, element in enumerate(value):
            found = self.item.violation(element, f"{path}[{index}]")
            if found is not None:
                return found
        return None


class Object(Schema):
    """A JSON object with declared fields, checked in declaration order; extra keys pass."""

    def __init__(self, name: str, fields: dict[str, Schema]):
        self.expected = name
        self.fields = fields

    def violation(self, value: Any, path: str) -> Violation | None:
        if value is _MISSING:
            return Violation(path, self.expected)
        if not isinstance(value, dict):
            return Violation(path, self.expected, value)
        for key, schema in self.fields.items():
            child = _child_path(path, key)
            item = value.get(key, _MISSING)
            if item is _MISSING and not isinstance(schema, Optional):
                return Violation(child, schema.expected)
            found = schema.violation(item, child)
            if found is not None:
                return found
        return None


def _bare(expected: str) -> str:
    """Drop one level of parentheses around an intersection so unions read like typia's."""
    if expected.startswith("(") and expected.endswith(")") and "|" not in expected:
        return expected[1:-1] if "&" not in expected else expected
    return expected


_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")


def _child_path(path: str, key: str) -> str:
    return f"{path}.{key}" if _IDENTIFIER.match(key) else f'{path}["{key}"]'


def check(schema: Schema, value: Any, path: str = "$input") -> Violation | None:
    """Return the first violation of `value` against `schema`, or None."""
    return schema.violation(value, path)


BODY = ("core.TypedBody()", "Request body data is not following the promised type.")
QUERY = ("core.TypedQuery()", "Request query data is not following the promised type.")


def require(schema: Schema, value: Any, where: tuple[str, str] = BODY) -> Any:
    """Return `value` if it matches `schema`; raise the 400 validation error otherwise."""
    found = check(schema, value)
    if found is not None:
        raise RawError(400, found.body(*where))
    return value

"""Errors the service answers with. Plain exceptions: `payments/` raises them without Flask.

Each carries its HTTP status; `app.py` turns any of them into the NestJS-style body
`{"message", "error", "statusCode"}` that clients of the original server already parse.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any


class ServiceError(Exception):
    status: int = 500

    def __init__(self, message: str, *, status: int | None = None, **extra: Any):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "error": HTTPStatus(self.status).phrase,
            "statusCode": self.status,
            **self.extra,
        }


class BadRequest(ServiceError):
    status = 400


class InvalidInput(BadRequest):
    """A body that breaks its type: the original's (typia) validation body, naming the first
    violation. Raised by the schemas, and by checks that need stored data (e.g. the decimal
    places a payment's currency allows)."""

    MESSAGE = "Request body data is not following the promised type."
    _NO_VALUE: Any = object()

    def __init__(self, path: str, expected: str, value: Any = _NO_VALUE):
        super().__init__(self.MESSAGE)
        self.path, self.expected, self.value = path, expected, value

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "path": self.path,
            "reason": f"Error on typia.assert(): invalid type on {self.path}, "
            f"expect to be {self.expected}",
            "expected": self.expected,
        }
        if self.value is not self._NO_VALUE:
            body["value"] = self.value
        body["message"] = self.MESSAGE
        return body


class WrongPassword(ServiceError):
    status = 403

    def __init__(self) -> None:
        super().__init__("Wrong password.")


class NotFound(ServiceError):
    status = 404


class Conflict(ServiceError):
    status = 409


class Unprocessable(ServiceError):
    status = 422


class Unavailable(ServiceError):
    status = 503

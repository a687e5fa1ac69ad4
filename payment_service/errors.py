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

    def headers(self) -> dict[str, str]:
        """Response headers the error needs besides its body."""
        return {}


class BadRequest(ServiceError):
    status = 400


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


class TooManyFailures(ServiceError):
    """A client failed too many password checks lately; it is refused before any bcrypt runs."""

    status = 429

    def __init__(self, retry_after_s: int):
        super().__init__(
            f"Too many failed password checks from this address; retry in {retry_after_s} seconds."
        )
        self.retry_after_s = retry_after_s

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_s)}


class Unavailable(ServiceError):
    status = 503

"""The server's errors, one family rooted at `ServiceError`. Plain exceptions: `payments/`
raises them without Flask.

Each carries its HTTP status and builds its body with `wire` (the NestJS-style
`{"message", "error", "statusCode"}` that clients of the original server already parse, or
typia's validation body); `http.py` answers any of them. The gateway errors
(`vendors/errors.py`) are part of the family.
"""

from __future__ import annotations

from typing import Any

from . import wire


def is_final_status(status: int) -> bool:
    """Whether an answer with this status settles a request for good: 2xx, and the 4xx
    refusals, but not the 4xx that mean "not now" (408, 409 in progress, 429 throttled)."""
    return 200 <= status < 300 or (400 <= status < 500 and status not in (408, 409, 429))


class ServiceError(Exception):
    status: int = 500

    def __init__(
        self, message: str, *, status: int | None = None, final: bool | None = None, **extra: Any
    ):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self._final = final
        self.extra = extra

    @property
    def final(self) -> bool:
        """Whether this answer is the request's outcome for good, so that a retry with the same
        idempotency key gets it again: refusals are; a 5xx is not (the outcome is unknown)
        unless it says otherwise, like a payment cancelled because it could not be recorded."""
        return is_final_status(self.status) if self._final is None else self._final

    def body(self) -> dict[str, Any]:
        return {**wire.error_body(self.status, self.message), **self.extra}

    def headers(self) -> dict[str, str]:
        """Response headers the error needs besides its body."""
        return {}


class RawError(ServiceError):
    """An error whose whole body is given (framework-level refusals, URL parameters)."""

    def __init__(self, status: int, body: dict[str, Any]):
        super().__init__(str(body.get("message", "")), status=status)
        self.raw = body

    def body(self) -> dict[str, Any]:
        return self.raw


class BadRequest(ServiceError):
    status = 400


class InvalidInput(BadRequest):
    """A body that breaks its type: the original's (typia) validation body, naming the first
    violation. Raised by the schemas, and by checks that need stored data (e.g. the decimal
    places a payment's currency allows)."""

    MESSAGE = wire.BODY_MESSAGE

    def __init__(self, path: str, expected: str, value: Any = wire.ABSENT):
        super().__init__(self.MESSAGE)
        self.path, self.expected, self.value = path, expected, value

    def body(self) -> dict[str, Any]:
        return wire.validation_body(self.path, self.expected, self.value)


class PolicyRefusal(str):
    """A validation message saying that a well-formed value is refused by a policy of this
    server (not a type error): its text is the full reason, naming the setting that decides;
    `summary` is one short sentence. Raised as a schema validator's message."""

    summary: str

    def __new__(cls, reason: str, summary: str) -> PolicyRefusal:
        refusal = super().__new__(cls, reason)
        refusal.summary = summary
        return refusal


class RefusedInput(InvalidInput):
    """A value of the right type that a policy of this server refuses: the validation body's
    shape, with the policy's reason and summary instead of typia's type error."""

    def __init__(self, path: str, expected: str, value: Any, refusal: PolicyRefusal):
        super().__init__(path, expected, value)
        self.refusal = refusal

    def body(self) -> dict[str, Any]:
        body = wire.validation_body(self.path, self.expected, self.value)
        return {**body, "reason": str(self.refusal), "message": self.refusal.summary}


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
    """Too many password checks failed lately for this client or record (`security.throttle`);
    refused before bcrypt runs."""

    status = 429

    def __init__(self, retry_after_s: int):
        super().__init__(
            f"Too many failed password checks lately; retry in {retry_after_s} seconds."
        )
        self.retry_after_s = retry_after_s

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_s)}


class Unavailable(ServiceError):
    status = 503


class TooManyWebhooks(ServiceError):
    """A vendor's inbound webhooks went past their budget for this minute: the gateway sends
    the event again later (and the payment is re-fetched then)."""

    status = 429

    def __init__(self, vendor: str, retry_after_s: int):
        super().__init__(
            f"Too many {vendor} webhooks this minute; send this one again in {retry_after_s} "
            "seconds."
        )
        self.retry_after_s = retry_after_s

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_s)}

"""Reading a gateway's replies, for plugins: the shape checks and refusals every vendor needs,
worded and typed the same way for all (a reply this server cannot read is a 502 `GatewayError`;
a payment that does not match its order is a `PaymentMismatch`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from .errors import GatewayError, PaymentMismatch

# What reading a malformed record raises: a missing key, a wrong type, a bad number.
READ_ERRORS = (KeyError, TypeError, ValueError, ArithmeticError)


def text(record: Mapping[str, Any], key: str) -> str:
    """The string at `key` of a gateway record; a missing key or another type is one of the
    `READ_ERRORS` (within `reading_payment`, a 502)."""
    value = record[key]
    if not isinstance(value, str):
        raise TypeError(f"{key} is not a string")
    return value


@dataclass(frozen=True)
class GatewayReplies:
    """The checks for one vendor: `vendor` is its code, `name` how messages name the gateway."""

    vendor: str
    name: str

    def unreadable(self, path: str, problem: str, method: str | None = None) -> GatewayError:
        """The gateway answered the call of `path` (by `method`) with something unusable."""
        where = path if method is None else f"{method} {path}"
        return GatewayError(
            f"{self.name} answered {where} with a reply this server cannot read ({problem}).",
            vendor=self.vendor,
            status=502,
            path=path,
        )

    def object(self, reply: Any, path: str, method: str | None = None) -> dict[str, Any]:
        """`reply` when it is a JSON object; any other answer is unreadable."""
        if not isinstance(reply, dict):
            raise self.unreadable(path, "not an object", method)
        return reply

    @contextmanager
    def reading_payment(self) -> Iterator[None]:
        """Turn a failure to read a payment record (`READ_ERRORS`) into a 502."""
        try:
            yield
        except READ_ERRORS as error:
            raise GatewayError(
                f"{self.name} sent a payment this server cannot read "
                f"({type(error).__name__}: {error}).",
                vendor=self.vendor,
                status=502,
            ) from None

    def other_order(self, uid: str, order_id: str) -> PaymentMismatch:
        """The payment belongs to another order: refused, and never cancelled on its behalf."""
        return PaymentMismatch(
            f"The {self.name} payment {uid} was made for another order, not {order_id!r}; "
            "it was left untouched.",
            vendor=self.vendor,
            cancelled=False,
            mismatch="order",
        )

    def not_paid(self, differs: str, mismatch: str) -> PaymentMismatch:
        """A mismatched payment that is not paid (e.g. a virtual account waiting for its
        deposit): no money moved, nothing to undo."""
        return PaymentMismatch(
            f"{differs}; the {self.name} payment is not paid, so nothing was cancelled.",
            vendor=self.vendor,
            cancelled=False,
            mismatch=mismatch,
        )

    def cancelled_for(
        self, differs: str, mismatch: str, cancel: Callable[[], object]
    ) -> PaymentMismatch:
        """Cancel a paid payment that does not match its order (`cancel()`), and return the
        mismatch saying whether that worked; `differs` says what is wrong with it."""
        try:
            cancel()
        except GatewayError as error:
            return PaymentMismatch(
                f"{differs}; cancelling the {self.name} payment failed: {error.message}",
                vendor=self.vendor,
                cancelled=False,
                mismatch=mismatch,
                cancel_error={"status": error.status, "message": error.message},
            )
        return PaymentMismatch(
            f"{differs}; the {self.name} payment was cancelled.",
            vendor=self.vendor,
            cancelled=True,
            mismatch=mismatch,
        )

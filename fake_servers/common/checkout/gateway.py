"""What a fake's checkout window is made of: the order it shows, what an outcome leaves
behind, and the part each gateway supplies (`CheckoutGateway`)."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

OUTCOMES = ("pay-card", "issue-vbank", "decline", "cancel")
"""The window's buttons (their `data-testid`s): pay by card, get a virtual account to pay into,
the card company declines, the customer closes the window."""

WINDOWS = ("iframe", "popup", "redirect")
"""How a stand-in script shows the window: over the page, in a popup, or instead of the page."""


class CheckoutRefused(Exception):
    """A request or an outcome the gateway refuses; the script reports `code` and `message`
    the way its real SDK reports an error."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    def body(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class Order:
    """What a window shows (`name`, `amount`, `currency`, the `method` the page asked for) and
    the gateway's checked request, which it finishes the payment from."""

    name: str
    amount: int | float
    currency: str
    method: str
    request: dict[str, Any]


@dataclass(frozen=True)
class Completion:
    """What an outcome gives the page: `result`, the value the script hands over (callback
    argument, promise value or rejection), and `redirect`, where the browser goes next when the
    page named a return address (None when it did not)."""

    result: Any
    redirect: str | None = None


@dataclass
class Window:
    """One opened window: its order, how it is shown (`WINDOWS`), the merchant page's origin
    (where the result is posted), and its completion once the customer has answered."""

    id: str
    order: Order
    kind: str
    origin: str | None
    done: Completion | None = field(default=None)


@dataclass(frozen=True)
class Account:
    """A virtual account as the customer's bank shows it before a transfer."""

    bank: str
    number: str
    holder: str
    amount: int | float
    currency: str
    order_name: str
    waiting: bool
    """True until the money is in (or the payment was cancelled)."""


class CheckoutGateway(ABC):
    """One fake's side of the checkout: its stand-in scripts, the requests its SDK accepts,
    and the payment each outcome leaves at the fake (with the webhooks its API would send)."""

    name: ClassVar[str]
    """Marks the window (`data-fake-checkout="<name>"`), e.g. "iamport"."""
    title: ClassVar[str]
    """Shown on the window, e.g. "fake iamport"."""
    scripts: ClassVar[Mapping[str, str]]
    """The stand-in scripts: the path the real script has on the gateway's CDN → its source."""

    @abstractmethod
    def open(self, request: Any, window: str) -> Order:
        """Check a page's request (the JSON the script sends) as the real SDK would, for a
        window shown as `window`; raise `CheckoutRefused` for what the SDK refuses."""

    @abstractmethod
    def complete(self, order: Order, outcome: str) -> Completion:
        """Record what the real window leaves behind after `outcome` (one of `OUTCOMES`)."""

    @abstractmethod
    def account(self, uid: str) -> Account | None:
        """The virtual account of payment `uid`, or None when `uid` is no such payment."""

    @abstractmethod
    def deposit(self, uid: str) -> None:
        """The customer transfers the money into the virtual account of payment `uid` (the
        fake then sends its webhook); `CheckoutRefused` when that is not possible."""


def packaged_text(package: str, name: str) -> str:
    """The text of a file shipped in `package` (a stand-in script, a page's template)."""
    return files(package).joinpath(name).read_text(encoding="utf-8")


def with_query(url: str, params: Mapping[str, Any]) -> str:
    """`url` with `params` added to its query (None values left out), as the gateways append
    their results to a page's return address."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(key, _text(value)) for key, value in params.items() if value is not None]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class Fields:
    """A JSON object from a merchant page, read the way a gateway's SDK checks it: each reader
    returns the value or raises `CheckoutRefused(code, ...)` naming the field."""

    def __init__(self, values: Any, code: str, what: str = "the payment request"):
        if not isinstance(values, dict):
            raise CheckoutRefused(code, f"{what} must be an object")
        self.values: dict[str, Any] = values
        self.code = code

    def refuse(self, message: str) -> CheckoutRefused:
        return CheckoutRefused(self.code, message)

    def raw(self, key: str) -> Any:
        return self.values.get(key)

    def text(self, key: str, *, required: bool = False, max_length: int = 1000) -> str | None:
        """A string (required: a non-blank one); None when absent and not required."""
        value = self.values.get(key)
        if value is None:
            if required:
                raise self.refuse(f"`{key}` is required")
            return None
        if not isinstance(value, str):
            raise self.refuse(f"`{key}` must be a string")
        if required and not value.strip():
            raise self.refuse(f"`{key}` must not be empty")
        if len(value) > max_length:
            raise self.refuse(f"`{key}` is longer than {max_length} characters")
        return value

    def amount(self, key: str, *, whole: bool = False) -> int | float:
        """A finite number above 0 (with `whole`, an integer, as KRW amounts are)."""
        value = self.values.get(key)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value <= 0
        ):
            raise self.refuse(f"`{key}` must be a number above 0")
        if whole:
            if value != int(value):
                raise self.refuse(f"`{key}` must be a whole number")
            return int(value)
        return value

    def url(self, key: str, *, required: bool = False) -> str | None:
        """An absolute http(s) URL."""
        value = self.text(key, required=required, max_length=2048)
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise self.refuse(f"`{key}` must be an absolute http(s) URL")
        return value

    def choice(self, key: str, choices: Iterable[str], default: str | None = None) -> str | None:
        value = self.values.get(key)
        if value is None:
            return default
        allowed = list(choices)
        if value not in allowed:
            raise self.refuse(f"`{key}` must be one of {', '.join(allowed)}")
        return str(value)

    def flag(self, key: str) -> bool:
        value = self.values.get(key)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise self.refuse(f"`{key}` must be true or false")
        return value

    def child(self, key: str) -> Fields | None:
        """A nested object, read with the same code; None when absent."""
        value = self.values.get(key)
        if value is None:
            return None
        return Fields(value, self.code, f"`{key}`")

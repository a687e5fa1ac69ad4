"""The limits every input must respect, in one place (no Flask here: the schemas and the payment
behaviour both read them).

Money arrives as a `Decimal` straight from the JSON text, so a 14-byte literal such as
`1E+1000000` is a cheap object until something turns it into an integer. Every check below looks
at the exponent (`Decimal.adjusted()`, `as_tuple()`) first, so a hostile amount is refused
before any arithmetic that could build a million-digit number.
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal

# One payment or refund may not exceed this, in the currency's main unit (10^12 KRW is about
# 750 million USD: far above any single card, transfer or virtual-account payment a Korean
# gateway takes). It also keeps every amount inside the NUMERIC(20, 4) column.
MAX_AMOUNT = Decimal(10) ** 12

# Decimal places an amount may have before its currency is known (a new payment): the most any
# ISO 4217 currency a Korean gateway settles in uses. Refunds are checked against the payment's
# own currency (`currency_decimals`).
MAX_DECIMALS = 2

# ISO 4217 minor units of the currencies the gateways settle in; any other has 2.
_CURRENCY_DECIMALS = {"KRW": 0, "JPY": 0, "VND": 0, "CLP": 0, "ISK": 0, "TWD": 2}

# Column widths (db/models.py): a longer string would be a database error, i.e. a 500.
SOURCE_TEXT_MAX = 255
VENDOR_CODE_MAX = 64
VENDOR_TEXT_MAX = 255
PASSWORD_MAX = 255
WEBHOOK_URL_MAX = 1024
# Free text with no column width of its own (Text columns, or passed to the gateway only).
FREE_TEXT_MAX = 1000


def amount_problem(amount: Decimal, *, max_decimals: int = MAX_DECIMALS) -> str | None:
    """Why `amount` is not an acceptable payment or refund amount, or None when it is."""
    if not amount.is_finite():
        return "Not a finite number."
    if amount <= 0:
        return "Must be greater than 0."
    # adjusted() is the exponent of the leading digit: 1E+1000000 → 1000000, without arithmetic.
    if amount.adjusted() >= MAX_AMOUNT.adjusted() + 1 or amount > MAX_AMOUNT:
        return f"Must be at most {MAX_AMOUNT:f}."
    if decimals(amount) > max_decimals:
        return f"Must have at most {max_decimals} decimal places."
    return None


def decimals(amount: Decimal) -> int:
    """Decimal places that matter: 1.50 has 1, 1E+3 has 0 (trailing zeros do not count)."""
    _, digits, exponent = amount.as_tuple()
    if not isinstance(exponent, int) or exponent >= 0:
        return 0
    places = -exponent
    for digit in reversed(digits):
        if digit != 0 or places == 0:
            break
        places -= 1
    return places


def currency_decimals(currency: str) -> int:
    return _CURRENCY_DECIMALS.get(currency.upper(), 2)


def text_problem(value: str, *, max_length: int, multiline: bool = False) -> str | None:
    """Why `value` cannot be stored as given, or None.

    Control characters (NUL above all, which PostgreSQL refuses in text) and lone surrogates
    (which no database driver can encode) are refused; free text may keep tabs and newlines.
    """
    if len(value) > max_length:
        return f"Must be at most {max_length} characters long."
    allowed = "\t\n\r" if multiline else ""
    for character in value:
        if character in allowed:
            continue
        category = unicodedata.category(character)
        if category == "Cc":
            return "Must not contain control characters."
        if category == "Cs":
            return "Must not contain unpaired surrogates."
    return None

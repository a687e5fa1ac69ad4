"""Which of the original's DOUBLE PRECISION amounts NUMERIC(20,4) holds exactly, and as what."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from payment_service.adoption.money import Inexact, exact


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (20000.0, Decimal("20000")),
        (19.99, Decimal("19.99")),  # the double is 19.98999…, the original answered 19.99
        (0.0001, Decimal("0.0001")),
        (123456789012345.6, Decimal("123456789012345.6")),
        (-3980.5, Decimal("-3980.5")),
    ],
)
def test_an_amount_converts_to_the_decimal_the_original_answered(value, expected):
    assert exact(value) == expected
    assert float(exact(value)) == value


@pytest.mark.parametrize(
    "value",
    [0.1 + 0.2, 12.34567, 0.00001, 1e16, 12345678901234567.0, math.nan, math.inf, -math.inf],
)
def test_an_amount_numeric_20_4_cannot_hold_is_not_exact(value):
    assert exact(value) is None


def test_an_inexact_amount_says_what_rounding_would_make_of_it():
    assert str(Inexact("payment_histories", "id-1", "price", 0.1 + 0.2)) == (
        "payment_histories id-1 price = 0.30000000000000004 "
        "(NUMERIC(20,4) would round it to 0.3000)"
    )
    assert str(Inexact("payment_histories", "id-2", "refund", 1e20)) == (
        "payment_histories id-2 refund = 1e+20"
    )

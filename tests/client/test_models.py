"""Parsing of results: tolerant of both servers, strict about types that matter."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from payment_service.client import PaymentHistory, PaymentReservation, PaymentVendor
from payment_service.crypto import loads

from .samples import iamport_history, iamport_reservation


def test_unknown_keys_are_ignored_and_kept_in_raw() -> None:
    raw = iamport_history(extra_key={"nested": 1})
    history = PaymentHistory.from_dict(raw)
    assert history.raw["extra_key"] == {"nested": 1}


def test_missing_optional_keys_become_none_or_empty() -> None:
    raw = iamport_history()
    for key in ("vendor_code", "cancels", "refund", "data", "webhook_url", "paid_at"):
        del raw[key]
    del raw["cancelled_at"]
    del raw["vendor"]["store_id"]

    history = PaymentHistory.from_dict(raw)

    assert history.vendor_code == "iamport"  # falls back to vendor.code
    assert history.vendor == PaymentVendor(code="iamport", uid="imp_123", store_id="")
    assert history.cancels == ()
    assert history.refund is None
    assert history.data == {}
    assert history.webhook_url is None
    assert history.paid_at is None and history.cancelled_at is None


@pytest.mark.parametrize("key", ["id", "vendor", "source", "currency", "price", "created_at"])
def test_missing_required_keys_are_errors(key: str) -> None:
    raw = iamport_history()
    del raw[key]
    with pytest.raises(ValueError, match=repr(key)):
        PaymentHistory.from_dict(raw)


def test_a_cancel_without_the_extra_time_key_has_time_none() -> None:
    raw = iamport_history(
        cancels=[{"price": 1, "reason": "r", "created_at": "2024-05-01T00:00:00.000Z"}]
    )
    assert PaymentHistory.from_dict(raw).cancels[0].time is None


def test_fractional_money_from_the_wire_is_exact_decimal() -> None:
    # crypto.loads (used by the SDK) keeps fractions as Decimal.
    raw = loads(json.dumps(iamport_history(price=0.1, refund=1234567.89)))
    history = PaymentHistory.from_dict(raw)
    assert history.price == Decimal("0.1")
    assert history.refund == Decimal("1234567.89")


def test_money_parsed_elsewhere_as_float_still_becomes_the_written_decimal() -> None:
    history = PaymentHistory.from_dict(json.loads(json.dumps(iamport_history(price=0.1))))
    assert history.price == Decimal("0.1")


def test_a_boolean_is_not_money() -> None:
    with pytest.raises(ValueError, match="'price' must be a number"):
        PaymentHistory.from_dict(iamport_history(price=True))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01T03:04:05.678Z", datetime(2024, 5, 1, 3, 4, 5, 678000, tzinfo=UTC)),
        ("2024-05-01T12:04:05+09:00", datetime(2024, 5, 1, 3, 4, 5, tzinfo=UTC)),
        ("2024-05-01T03:04:05", datetime(2024, 5, 1, 3, 4, 5, tzinfo=UTC)),
    ],
)
def test_timestamps_become_aware_utc_datetimes(text: str, expected: datetime) -> None:
    created = PaymentHistory.from_dict(iamport_history(created_at=text)).created_at
    assert created == expected
    assert created.tzinfo is UTC


def test_a_malformed_timestamp_is_an_error() -> None:
    with pytest.raises(ValueError, match="'paid_at' is not an ISO-8601 timestamp"):
        PaymentHistory.from_dict(iamport_history(paid_at="yesterday"))


def test_results_are_frozen_and_raw_stays_out_of_repr_and_equality() -> None:
    first = PaymentReservation.from_dict(iamport_reservation())
    second = PaymentReservation.from_dict({**iamport_reservation(), "unknown": 1})

    with pytest.raises(dataclasses.FrozenInstanceError):
        first.title = "changed"  # type: ignore[misc]
    assert "raw" not in repr(first)
    assert first == second


@pytest.mark.parametrize("module", ["payment_service_client", "payment_service.client"])
def test_importing_the_sdk_loads_no_web_framework_database_or_httpx(module: str) -> None:
    # httpx only once AsyncPaymentClient is asked for: the sync SDK works without the extra.
    code = (
        f"import sys, {module};"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('flask', 'werkzeug', 'flask_smorest', 'marshmallow', 'sqlalchemy', 'httpx')))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert output.strip() == "[]"

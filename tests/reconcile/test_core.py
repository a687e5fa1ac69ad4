"""The reconciliation core called in-process: what the command line does not show."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from payment_service.payments.reconcile import parse_duration, parse_instant, reconcile
from payment_service.settings import Settings
from payment_service.testing import PaymentBackend
from payment_service.vendors import (
    ListingUnsupported,
    PaymentSummary,
    Refund,
    Vendor,
    WebhookNotice,
    hookimpl,
)

from .conftest import Gateways


class SilentVendor(Vendor):
    """A gateway whose plugin cannot list its payments."""

    code = "silent"
    webhook_name = "silent"

    def fetch_payment(self, store_id: str, uid: str) -> dict[str, Any]:
        raise NotImplementedError

    def approve(self, store_id: str, uid: str, *, order_id: str, amount: Decimal) -> dict[str, Any]:
        raise NotImplementedError

    def cancel(self, store_id: str, uid: str, refund: Refund) -> dict[str, Any]:
        raise NotImplementedError

    def summarize(self, payment: dict[str, Any]) -> PaymentSummary:
        raise NotImplementedError

    def fetch_reservation(self, store_id: str, uid: str, *, customer_id: str) -> dict[str, Any]:
        raise NotImplementedError

    def read_webhook(self, body: Any) -> WebhookNotice:
        return WebhookNotice(None)


class SilentPlugin:
    @hookimpl
    def register_vendors(self, settings: Settings) -> list[Vendor]:
        return [SilentVendor()]


def test_a_vendor_without_listing_does_not_support_reconciliation(database_url: str) -> None:
    with PaymentBackend(database_url, plugins=[SilentPlugin()]) as backend:
        vendors = {vendor.code: vendor.can_list for vendor in backend.runtime.vendors}
        assert {code: vendors[code] for code in ("iamport", "silent", "toss.payments")} == {
            "iamport": True,
            "silent": False,
            "toss.payments": True,
        }
        now = datetime.now(UTC)
        with pytest.raises(ListingUnsupported) as raised:
            reconcile(backend.runtime, "silent", now - timedelta(hours=1), now)
    assert raised.value.message == (
        "The vendor 'silent' does not support reconciliation: its plugin cannot list the "
        "gateway's payments (it does not implement `list_payments`)."
    )


def test_an_iamport_window_longer_than_90_days_is_listed_in_spans(gateways: Gateways) -> None:
    orphan = gateways.pay("iamport", 12000)
    old = gateways.pay("iamport", 13000)
    gateways.backend.iamport.backdate(old, 150 * 86400)
    now = datetime.now(UTC)
    fractions: list[float] = []

    # The fake refuses ranges over 90 days, as iamport does: 200 days need three requests.
    report = reconcile(
        gateways.backend.runtime,
        "iamport",
        now - timedelta(days=200),
        now + timedelta(minutes=1),
        progress=fractions.append,
    )

    assert {o.uid for o in report.orphans} == {orphan, old}
    assert report.errors == []
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("30m", 1800), ("1h", 3600), ("2d", 172800), ("1w", 604800), ("1h30m", 5400)],
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "1", "h", "1x", "1h 30m", "-1h", "1.5h"])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_instants_without_an_offset_are_utc() -> None:
    assert parse_instant("2026-11-30T09:00:00") == datetime(2026, 11, 30, 9, tzinfo=UTC)
    assert parse_instant("2026-11-30T18:00:00+09:00") == datetime(2026, 11, 30, 9, tzinfo=UTC)
    assert parse_instant("2026-11-30T09:00:00Z") == datetime(2026, 11, 30, 9, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_instant("yesterday")

"""Fixtures of the plugin tests: one fake of each gateway per session, reset for each test,
and the vendors pointed at them with the fakes' test credentials."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from payment_vendor_iamport import IamportVendor
from payment_vendor_toss import TossVendor

from fake_servers.iamport import FakeIamport
from fake_servers.iamport.fake import DEFAULT_CREDENTIALS
from fake_servers.toss import DEFAULT_SECRET_KEY, FakeToss

from .support import IAMPORT_CREDENTIALS, TOSS_CREDENTIALS, vendor_settings


@pytest.fixture(scope="session")
def _iamport_server() -> Iterator[FakeIamport]:
    with FakeIamport() as fake:
        yield fake


@pytest.fixture
def iamport(_iamport_server: FakeIamport) -> FakeIamport:
    _iamport_server.drain_webhooks()
    _iamport_server.reset()
    _iamport_server.state.credentials = dict(DEFAULT_CREDENTIALS)
    return _iamport_server


@pytest.fixture(scope="session")
def _toss_server() -> Iterator[FakeToss]:
    with FakeToss() as fake:
        yield fake


@pytest.fixture
def toss(_toss_server: FakeToss) -> FakeToss:
    _toss_server.drain_webhooks()
    _toss_server.reset()
    _toss_server.secret_keys = {DEFAULT_SECRET_KEY}
    return _toss_server


@pytest.fixture
def iamport_vendor(iamport: FakeIamport) -> IamportVendor:
    settings = vendor_settings(
        {"iamport": {"base_url": iamport.url, "default": IAMPORT_CREDENTIALS}}
    )
    return IamportVendor.from_settings(settings)


@pytest.fixture
def toss_vendor(toss: FakeToss) -> TossVendor:
    settings = vendor_settings(
        {"toss.payments": {"base_url": toss.url, "default": TOSS_CREDENTIALS}}
    )
    return TossVendor.from_settings(settings)

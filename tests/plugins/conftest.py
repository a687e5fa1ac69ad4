"""Fixtures of the plugin tests: one fake of each gateway per session, reset for each test,
and the vendors pointed at them with the fakes' test credentials."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

import pytest
from payment_vendor_iamport import IamportVendor
from payment_vendor_toss import TossVendor

from fake_servers.iamport import FakeIamport
from fake_servers.iamport.fake import DEFAULT_CREDENTIALS
from fake_servers.toss import DEFAULT_SECRET_KEY, FakeToss

from .support import vendor_at


@pytest.fixture(scope="session")
def _servers() -> Iterator[tuple[FakeIamport, FakeToss]]:
    # Both fakes start together: each is a thread on a free port, cheap next to the tests.
    with FakeIamport() as iamport, FakeToss() as toss:
        yield iamport, toss


Fake = TypeVar("Fake", FakeIamport, FakeToss)


def _emptied(fake: Fake) -> Fake:
    """`fake` with no webhook of the last test in flight and none of its records."""
    fake.drain_webhooks()
    fake.reset()
    return fake


@pytest.fixture
def iamport(_servers: tuple[FakeIamport, FakeToss]) -> FakeIamport:
    fake = _emptied(_servers[0])
    fake.state.credentials = dict(DEFAULT_CREDENTIALS)
    return fake


@pytest.fixture
def toss(_servers: tuple[FakeIamport, FakeToss]) -> FakeToss:
    fake = _emptied(_servers[1])
    fake.secret_keys = {DEFAULT_SECRET_KEY}
    return fake


@pytest.fixture
def iamport_vendor(iamport: FakeIamport) -> IamportVendor:
    return vendor_at(IamportVendor.from_settings, "iamport", iamport.url)


@pytest.fixture
def toss_vendor(toss: FakeToss) -> TossVendor:
    return vendor_at(TossVendor.from_settings, "toss", toss.url)

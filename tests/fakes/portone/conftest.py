"""A fake PortOne V2 server on a free port, with its webhooks going to a signed-webhook sink."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fake_servers.portone import FakePortOne


@pytest.fixture
def fake() -> Iterator[FakePortOne]:
    with FakePortOne(port=0) as fake:
        yield fake

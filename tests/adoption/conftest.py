"""Fixtures of the adoption tests: a fresh PostgreSQL database holding the original's dump."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .original import original_database, postgres_server


@pytest.fixture
def server() -> str:
    return postgres_server()


@pytest.fixture
def original_url(server: str) -> Iterator[str]:
    """A new database into which the original's dump was just restored (dropped afterwards)."""
    with original_database(server) as url:
        yield url

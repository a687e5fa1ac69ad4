"""Fixtures of the console tests: the app on each database (tests/conftest.py), the shared
embedded backends with their fakes (tests/support/backends.py), and a browser
(tests/checkout/browser.py)."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from payment_service.console import passwords
from tests.checkout.browser import browser_context_args, browser_type_launch_args, guarded_page
from tests.support.backends import backend, receiver, shared_backends

# Fixtures of this package.
__all__ = [
    "backend",
    "browser_context_args",
    "browser_type_launch_args",
    "guarded_page",
    "receiver",
    "shared_backends",
]


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id with its smallest costs: these tests hash and verify passwords by the hundred,
    and what they check is who gets in, not how slow a guess is."""
    monkeypatch.setattr(
        passwords, "hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )

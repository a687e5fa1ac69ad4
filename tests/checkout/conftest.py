"""Fixtures of the checkout tests: the shared embedded backends (tests/support/backends.py) for
the registration tests, and a browser for the others (tests/checkout/browser.py)."""

from __future__ import annotations

from tests.checkout.browser import browser_context_args, browser_type_launch_args, guarded_page
from tests.support.backends import backend, client, receiver, shared_backends

# Fixtures of this package.
__all__ = [
    "backend",
    "browser_context_args",
    "browser_type_launch_args",
    "client",
    "guarded_page",
    "receiver",
    "shared_backends",
]

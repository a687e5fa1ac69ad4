"""A real browser for the checkout tests: Debian's Chromium driven by Playwright (the
`pytest-playwright` plugin shares one browser per session; each test gets a fresh context).

Nothing may leave this machine: Chromium resolves no host but 127.0.0.1, and every test's page
(popups included) is checked when the test ends: each request went to 127.0.0.1 (or was
answered by the test itself, `routed`), and the console logged no error.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

CHROMIUM = ("/usr/bin/chromium", "chromium", "chromium-browser")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # No network at all: any host other than this machine fails to resolve.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
VIEWPORT = {"width": 1000, "height": 760}


def chromium() -> str:
    for name in CHROMIUM:
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("no Chromium found (install it with `apt-get install -y chromium`; CI has it)")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright's launch options, with Debian's Chromium (no browser download)."""
    return {**browser_type_launch_args, "executable_path": chromium(), "args": FLAGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": VIEWPORT}


@dataclass
class Browsing:
    """A test's page, and what its context did."""

    page: Page
    context: BrowserContext
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    routed: set[str] = field(default_factory=set)
    """URLs the test answers itself (`page.route`): they never reach a network."""

    def screenshot(self, directory: Path, name: str) -> Path:
        path = directory / f"{name}.png"
        self.page.screenshot(path=path)
        return path

    def problems(self) -> list[str]:
        """Requests that left this machine, and errors the console logged."""
        outside = [url for url in self.requests if not _local(url) and url not in self.routed]
        return [f"request to {url}" for url in outside] + self.errors


def _local(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "about", "blob"):
        return True
    return parts.scheme in ("http", "https", "ws") and parts.hostname == "127.0.0.1"


def watch(page: Page, context: BrowserContext) -> Browsing:
    """Record what `context` (every page and popup of it) requests and logs as errors."""
    browsing = Browsing(page, context)

    def console(message: Any) -> None:
        if message.type == "error":
            browsing.errors.append(f"console: {message.text} ({message.location})")

    context.on("request", lambda request: browsing.requests.append(request.url))
    context.on("console", console)
    context.on("weberror", lambda error: browsing.errors.append(f"uncaught: {error.error}"))
    return browsing


@pytest.fixture
def guarded_page(page: Page, context: BrowserContext) -> Iterator[Browsing]:
    """The test's page, checked when the test ends: nothing left 127.0.0.1, no console error."""
    browsing = watch(page, context)
    yield browsing
    assert browsing.problems() == []

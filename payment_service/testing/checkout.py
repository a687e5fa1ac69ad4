"""Browser tests of a checkout page against the fakes: the customer's side of the payment window.

Each fake serves a stand-in for its gateway's browser SDK at the real script's path, and the
stand-in opens the fake's payment window (an iframe over the page, a popup, or the page itself
redirected) with one button per outcome (`OUTCOMES`). With Playwright:

    serve_checkout_scripts(page, checkout_scripts(backend.fakes))  # CDN URLs → the fakes
    page.goto(my_checkout_page)
    page.get_by_role("button", name="Pay").click()                  # your page calls the SDK
    complete_checkout(page, "pay-card")                             # the customer pays

Playwright is the caller's: nothing here imports it at run time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import requests

from .fakes import GatewayFakes

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Frame, Page, Route

OUTCOMES = ("pay-card", "issue-vbank", "decline", "cancel")
"""The window's buttons: pay by card, get a virtual account to pay into (then `deposit`), the
card company declines, the customer closes the window."""

WINDOW = "[data-fake-checkout]"
"""What marks a fake's payment window (its value is the fake's name)."""

POLL_S = 0.05


def checkout_scripts(fakes: GatewayFakes) -> dict[str, str]:
    """Every gateway script URL a merchant page loads from a CDN → the fake's stand-in for it,
    for the fakes in `fakes` that offer one."""
    scripts: dict[str, str] = {}
    for gateway in fakes.gateways.values():
        scripts.update(gateway.checkout_script_urls())
    return scripts


def serve_checkout_scripts(
    target: Page | BrowserContext, scripts: Mapping[str, str], *, timeout_s: float = 10
) -> None:
    """Answer the browser's requests for the real scripts (the keys of `scripts`, e.g. from
    `checkout_scripts`) with the fakes' stand-ins, so that a page keeps its production script
    tags. Only the scripts are swapped: a stand-in talks to its fake directly."""
    for real, stand_in in scripts.items():
        target.route(real, _answer_with(stand_in, timeout_s))


def _answer_with(stand_in: str, timeout_s: float) -> Callable[[Route], None]:
    def fulfil(route: Route) -> None:
        # Fetched here, not through the browser, so that the fake sees its own address.
        answer = requests.get(stand_in, timeout=timeout_s)
        route.fulfill(
            status=answer.status_code,
            body=answer.text,
            headers={"Content-Type": answer.headers.get("Content-Type", "text/javascript")},
        )

    return fulfil


def complete_checkout(page: Page, outcome: str = "pay-card", *, timeout_s: float = 10) -> None:
    """Press `outcome`'s button (one of `OUTCOMES`) in the fake payment window `page` opened:
    an iframe over it, a popup of its context, or `page` itself after a redirect.

    Returns once the button is pressed; wait on your own page for what should follow (the
    window delivers the result, then closes or redirects). TimeoutError when no window shows
    up within `timeout_s`.
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"{outcome!r} is none of {', '.join(OUTCOMES)}")
    # Deferred: playwright (a test dependency) is needed only by tests that drive a browser.
    from playwright.sync_api import Error

    deadline = time.monotonic() + timeout_s
    while True:
        for frame in _frames(page):
            button = frame.locator(f'{WINDOW}[data-state="open"] [data-testid="{outcome}"]')
            try:
                if button.count():
                    button.click()
                    return
            except Error:
                continue  # the frame navigated or went away while we looked
        if time.monotonic() > deadline:
            raise TimeoutError(f"no fake payment window opened within {timeout_s} s")
        # Waits through Playwright, so that the popups and frames it reports keep arriving.
        page.wait_for_timeout(POLL_S * 1000)


def _frames(page: Page) -> Iterator[Frame]:
    for candidate in [page, *(other for other in page.context.pages if other is not page)]:
        if not candidate.is_closed():
            yield from candidate.frames


class Checkout:
    """The `payment_checkout` fixture: the helpers above, bound to one set of fakes."""

    outcomes = OUTCOMES

    def __init__(self, fakes: GatewayFakes):
        self.fakes = fakes

    def scripts(self) -> dict[str, str]:
        """The real script URLs → the fakes' stand-ins (`checkout_scripts`)."""
        return checkout_scripts(self.fakes)

    def script_url(self, real: str) -> str:
        """The stand-in for one real script URL, for a page that takes its script's address
        as configuration."""
        return self.scripts()[real]

    def serve_scripts(self, target: Page | BrowserContext) -> None:
        """Let `target` load the fakes' stand-ins in place of the real scripts."""
        serve_checkout_scripts(target, self.scripts())

    def complete(self, page: Page, outcome: str = "pay-card", **options: Any) -> None:
        """Press `outcome` in the window `page` opened (`complete_checkout`)."""
        complete_checkout(page, outcome, **options)

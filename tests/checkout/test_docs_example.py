"""The browser test example of docs/checkout.md, run exactly as written (with the `conftest.py`
it shows for the system's Chromium) in a pytest of its own, which gets our fixtures only
through the `pytest11` entry point and Playwright's through pytest-playwright, as an
integrator's suite would."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.checkout.browser import chromium

pytest_plugins = ["pytester"]

PAGE = Path(__file__).resolve().parents[2] / "docs" / "checkout.md"
EXAMPLE = "<!-- tested: tests/checkout/test_docs_example.py -->"
CONFTEST = "<!-- tested: tests/checkout/test_docs_example.py (conftest) -->"


def code_after(marker: str) -> str:
    after = PAGE.read_text(encoding="utf-8").split(marker, 1)[1]
    match = re.search(r"```python\n(.*?)```", after, re.DOTALL)
    assert match, f"no example after {marker}"
    return match.group(1)


def test_the_browser_test_example_passes_in_an_integrator_suite(pytester: pytest.Pytester):
    if chromium() != "/usr/bin/chromium":
        pytest.skip("the example's conftest names /usr/bin/chromium")
    pytester.makeconftest(code_after(CONFTEST))
    pytester.makepyfile(test_checkout=code_after(EXAMPLE))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)

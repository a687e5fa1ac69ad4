"""The integrator example of docs/integrator.md, run exactly as written, in a pytest of its own that
gets our fixtures only through the `pytest11` entry point, as an integrator's suite would."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

README = Path(__file__).resolve().parents[2] / "docs" / "integrator.md"
MARKER = "<!-- tested: tests/integrator/test_readme_example.py -->"


def readme_example() -> str:
    text = README.read_text(encoding="utf-8")
    after = text.split(MARKER, 1)[1]
    match = re.search(r"```python\n(.*?)```", after, re.DOTALL)
    assert match, "the integrator guide's example is missing"
    return match.group(1)


def test_the_readme_example_passes_in_an_integrator_suite(pytester: pytest.Pytester):
    pytester.makepyfile(test_checkout=readme_example())
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_the_readme_example_fits_in_about_ten_lines():
    lines = [line for line in readme_example().splitlines() if line.strip()]
    assert len(lines) <= 14

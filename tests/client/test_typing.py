"""The SDK is typed (it ships py.typed) and `mypy --strict` accepts it and its examples:
the client, the webhook receivers of every framework, and the README's integrator guide."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "client"


def test_the_package_is_marked_typed() -> None:
    assert (CLIENT / "payment_service_client" / "py.typed").is_file()
    setup = (CLIENT / "setup.cfg").read_text(encoding="utf-8")
    assert "payment_service_client = py.typed" in setup


def test_mypy_strict_accepts_the_sdk_its_examples_and_its_guide(tmp_path: Path) -> None:
    # The guide's blocks run one after another in one namespace (tests/client/test_readme.py):
    # checked the same way, as one module.
    readme = (CLIENT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```python\n(.*?)^```$", readme, re.M | re.S)
    guide = tmp_path / "readme_guide.py"
    guide.write_text("\n".join(blocks), encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir",
            str(tmp_path / "cache"),
            str(CLIENT / "payment_service_client"),
            str(CLIENT / "examples"),
            str(guide),
        ],
        cwd=CLIENT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr

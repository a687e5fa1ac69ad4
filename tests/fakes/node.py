"""A published npm SDK, unchanged, against a fake: installed once into `.interop/<name>/` at
the repository root and reused, and a node script run with it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

INTEROP = Path(__file__).resolve().parents[2] / ".interop"


def installed_version(cache: Path, package: str) -> str | None:
    manifest = cache / "node_modules" / package / "package.json"
    if not manifest.exists():
        return None
    return json.loads(manifest.read_text())["version"]


def satisfies(version: str | None, wanted: str) -> bool:
    """`wanted` is an exact version ("0.19.0") or a major one ("10")."""
    return version is not None and (version == wanted or version.startswith(f"{wanted}."))


def sdk_for_node(cache: Path, package: str, wanted: str, test: str) -> tuple[str, Path]:
    """The node executable and the node_modules folder holding `package`@`wanted` (installed
    into `cache` when it is not there yet). Without node or npm the `test` is skipped."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip(f"node and npm are needed to run {test}")
    if not satisfies(installed_version(cache, package), wanted):
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                npm,
                "install",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(cache),
                f"{package}@{wanted}",
            ],
            check=True,
            capture_output=True,
            timeout=600,
        )
        assert satisfies(installed_version(cache, package), wanted)
    return node, cache / "node_modules"


def run_node(node: tuple[str, Path], script: Path, *args: str) -> Any:
    """What `script` prints (JSON) when node runs it with the SDK; the test fails if it fails."""
    executable, node_modules = node
    result = subprocess.run(
        [executable, str(script), *args],
        env={**os.environ, "NODE_PATH": str(node_modules)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)

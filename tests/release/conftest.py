"""The service and plugin distributions built from this checkout and installed, non-editable,
into a fresh venv once per session: what a user gets from `pip install`, not the source tree.

Every command runs with a working directory outside the checkout and no PYTHONPATH, so nothing
can be imported from the source tree by accident.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from deploy.wheels import build, exclusively, install


@dataclass(frozen=True)
class Installed:
    dist: Path
    bin: Path
    workdir: Path

    @property
    def python(self) -> str:
        return str(self.bin / "python")

    def command(self, *arguments: str) -> list[str]:
        return [str(self.bin / "payment-service"), *arguments]

    def environment(self, **extra: str) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("PAYMENT_") and key not in ("PYTHONPATH", "VIRTUAL_ENV")
        }
        env["PATH"] = f"{self.bin}{os.pathsep}{env.get('PATH', '')}"
        env.update(extra)
        return env

    def run(
        self, *arguments: str, env: Mapping[str, str], timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.command(*arguments),
            env=dict(env),
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=timeout,
        )


def built_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The directory of this run's sdists and wheels, built by whichever test worker asks first
    (pytest-xdist workers each have a temporary directory inside the run's)."""
    base = tmp_path_factory.getbasetemp()
    run = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    dist, complete = run / "release-dist", run / "release-dist.complete"
    with exclusively(run / "release-dist.lock"):
        if not complete.exists():
            build(dist)
            complete.touch()
    return dist


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("release")
    dist = built_once(tmp_path_factory)
    wheels = sorted(dist.glob("*.whl"))
    assert [wheel.name.split("-")[0] for wheel in wheels] == [
        "payment_service",
        "payment_vendor_iamport",
        "payment_vendor_portone",
        "payment_vendor_toss",
    ]
    workdir = root / "work"
    workdir.mkdir()
    venv = install(wheels, root / "venv", with_pip=False)  # nothing here runs pip in it
    return Installed(dist=dist, bin=venv, workdir=workdir)

"""The service and plugin distributions built from this checkout and installed, non-editable,
into a fresh venv once per session: what a user gets from `pip install`, not the source tree.

Every command runs with a working directory outside the checkout and no PYTHONPATH, so nothing
can be imported from the source tree by accident.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from deploy.wheels import exclusively, install


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


ROOT = Path(__file__).resolve().parents[2]
OPERATING = ROOT / "docs" / "operating.md"
TESTED_MARKER = "<!-- tested: tests/release/test_production.py -->"


def production_commands() -> list[str]:
    """The command lines of docs/operating.md's production instructions, as written."""
    after = OPERATING.read_text(encoding="utf-8").split(TESTED_MARKER, 1)[1]
    match = re.search(r"```sh\n(.*?)```", after, re.DOTALL)
    assert match, "docs/operating.md lost its tested production instructions"
    return [line.split("  #", 1)[0].rstrip() for line in match.group(1).splitlines()]


def bare_python(where: Path) -> Path:
    """A `python3` as a user has it: a plain interpreter with nothing installed (a venv of the
    base interpreter without pip); returns the directory to put first on PATH."""
    subprocess.run(
        [getattr(sys, "_base_executable", sys.executable), "-m", "venv", "--without-pip", where],
        check=True,
    )
    return where / "bin"


def user_checkout(run: Path) -> Path:
    """A directory that looks like the checkout to the production instructions' relative
    paths (`deploy/wheels.py`, `dist/`): deploy/ is this checkout's, and what they write stays
    out of it."""
    checkout = run / "checkout"
    checkout.mkdir(exist_ok=True)
    if not (checkout / "deploy").exists():
        (checkout / "deploy").symlink_to(ROOT / "deploy")
    return checkout


def built_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The directory of this run's sdists and wheels, built by whichever test worker asks first
    (pytest-xdist workers each have a temporary directory inside the run's) with the build
    command of the production instructions, run as written by a bare Python."""
    base = tmp_path_factory.getbasetemp()
    run = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    checkout = user_checkout(run)
    complete = run / "release-dist.complete"
    with exclusively(run / "release-dist.lock"):
        if not complete.exists():
            build_line = production_commands()[0]
            assert build_line == "python3 deploy/wheels.py --dist dist", build_line
            env = dict(os.environ)
            env["PATH"] = f"{bare_python(run / 'bare-python')}{os.pathsep}{env['PATH']}"
            env.pop("VIRTUAL_ENV", None)
            done = subprocess.run(
                ["bash", "-euc", build_line], cwd=checkout, env=env, capture_output=True, text=True
            )
            assert done.returncode == 0, done.stdout + done.stderr
            complete.touch()
    return checkout / "dist"


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("release")
    dist = built_once(tmp_path_factory)
    wheels = sorted(dist.glob("*.whl"))
    assert [wheel.name.split("-")[0] for wheel in wheels] == [
        "payment_service",
        "payment_service_client",
        "payment_vendor_iamport",
        "payment_vendor_portone",
        "payment_vendor_toss",
    ]
    workdir = root / "work"
    workdir.mkdir()
    venv = install(wheels, root / "venv", with_pip=False)  # nothing here runs pip in it
    return Installed(dist=dist, bin=venv, workdir=workdir)

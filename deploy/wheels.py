"""Build the service and plugin distributions from this checkout; install them into a venv.

    python deploy/wheels.py VENV [--dist DIR]

Used by `make cluster` and by the release tests, so both run what a user would install: the
wheels (built from the sdists, as `python -m build` does), not the source tree. Only the
standard library here; `build` comes from the interpreter that runs it (the dev venv).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import subprocess
import sys
import tempfile
import venv
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The service, then every vendor plugin distribution under plugins/.
DISTRIBUTIONS = (ROOT, *sorted(path.parent for path in (ROOT / "plugins").glob("*/setup.cfg")))


@contextlib.contextmanager
def exclusively(lock: Path) -> Iterator[None]:
    """Hold an exclusive lock on the file `lock` (created if missing), waiting for it."""
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def build(outdir: Path, python: str = sys.executable) -> list[Path]:
    """sdist and wheel of every distribution into `outdir`; returns the wheels.

    --no-isolation: the building interpreter already has setuptools and build (the [test]
    extra), which saves creating six throw-away environments per build. One build of this
    checkout at a time: a build writes `build/` and `*.egg-info` inside the source tree, so two
    at once (parallel test workers, `make cluster` during a test run) would break each other.
    """
    outdir.mkdir(parents=True, exist_ok=True)
    checkout = hashlib.sha256(str(ROOT).encode()).hexdigest()[:16]
    with exclusively(Path(tempfile.gettempdir()) / f"payment-service-build-{checkout}.lock"):
        for source in DISTRIBUTIONS:
            command = [python, "-m", "build", "--no-isolation", "--outdir", str(outdir)]
            result = subprocess.run([*command, str(source)], capture_output=True, text=True)
            if result.returncode != 0:
                raise RuntimeError(f"building {source} failed:\n{result.stdout}\n{result.stderr}")
    return sorted(outdir.glob("*.whl"))


def install(wheels: list[Path], target: Path, with_pip: bool = True) -> Path:
    """Install `wheels` (non-editable) into the venv `target`, creating it when missing, and
    return its bin directory. Dependencies come from the configured index (cached by pip).

    The pip of the interpreter running this installs into `target` (`--python`), so a venv
    created `with_pip=False` (the tests' throw-away one) skips bootstrapping a pip of its own.
    """
    python = target / "bin" / "python"
    fresh = not python.exists()
    if fresh:
        venv.EnvBuilder(with_pip=with_pip, clear=True).create(target)
    pip = [sys.executable, "-m", "pip", "--python", str(python), "--quiet"]
    # --no-compile: Python compiles what it imports anyway.
    pip_install = [*pip, "--disable-pip-version-check", "install", "--no-compile"]
    paths = [str(wheel) for wheel in wheels]
    # Our wheels by path: a same-named project on an index can never be picked instead. In a
    # venv that had them, first replace them (a rebuilt 0.1.0 is still 0.1.0 to pip); then
    # add whatever they depend on.
    if not fresh:
        subprocess.run([*pip_install, "--force-reinstall", "--no-deps", *paths], check=True)
    subprocess.run([*pip_install, *paths], check=True)
    return target / "bin"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("venv", type=Path, help="the venv to create or update")
    parser.add_argument("--dist", type=Path, help="keep the sdists and wheels here")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="payment-dist-") as scratch:
        outdir = arguments.dist or Path(scratch)
        wheels = build(outdir)
        bin_dir = install(wheels, arguments.venv.resolve())
    print(f"installed {', '.join(w.name for w in wheels)} into {bin_dir.parent}")


if __name__ == "__main__":
    main()

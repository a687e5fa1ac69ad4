"""Build the five distributions of this checkout (the service, its SDK and the three vendor
plugins), and optionally install them into a venv.

    python3 deploy/wheels.py --dist DIR       # build: DIR gets a wheel and an sdist of each
    python3 deploy/wheels.py VENV [--dist DIR]  # build, then install into VENV (made if missing)

Any Python 3.11+ runs it; nothing needs to be installed first. The wheels are built from the
sdists, as `python -m build` does, so a file missing from an sdist shows. When the Python
running this has no `build` (and a recent setuptools), a throw-away venv with them is made for
the build (from the package index, as pip would). Used by the production instructions, by
`make cluster` and by the release tests, so all of them run what a user installs.
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
# The service, the SDK (client/, which the service requires), then every vendor plugin
# distribution under plugins/.
CLIENT = ROOT / "client"
DISTRIBUTIONS = (
    ROOT,
    CLIENT,
    *sorted(path.parent for path in (ROOT / "plugins").glob("*/setup.cfg")),
)
# What building needs (the distributions' pyproject.toml ask for setuptools>=77).
BUILD_REQUIREMENTS = ("build", "setuptools>=77")
_CAN_BUILD = (
    "import build, setuptools, sys; sys.exit(int(setuptools.__version__.split('.')[0]) < 77)"
)


@contextlib.contextmanager
def exclusively(lock: Path) -> Iterator[None]:
    """Hold an exclusive lock on the file `lock` (created if missing), waiting for it."""
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def can_build(python: str) -> bool:
    return subprocess.run([python, "-c", _CAN_BUILD], capture_output=True).returncode == 0


@contextlib.contextmanager
def builder(python: str = sys.executable) -> Iterator[str]:
    """A Python that has `build` and setuptools: `python` itself when it has them, else a
    throw-away venv that gets them from the package index."""
    if can_build(python):
        yield python
        return
    with tempfile.TemporaryDirectory(prefix="payment-build-env-") as scratch:
        venv.EnvBuilder(with_pip=True).create(scratch)
        built = str(Path(scratch) / "bin" / "python")
        pip = [built, "-m", "pip", "--quiet", "--disable-pip-version-check", "install"]
        subprocess.run([*pip, *BUILD_REQUIREMENTS], check=True)
        yield built


def build(outdir: Path, python: str = sys.executable) -> list[Path]:
    """sdist and wheel of every distribution into `outdir`; returns the wheels.

    --no-isolation: the building interpreter already has setuptools and build, which saves
    creating ten throw-away environments per build. One build of this checkout at a time: a
    build writes `build/` and `*.egg-info` inside the source tree, so two at once (parallel
    test workers, `make cluster` during a test run) would break each other.
    """
    outdir.mkdir(parents=True, exist_ok=True)
    checkout = hashlib.sha256(str(ROOT).encode()).hexdigest()[:16]
    with (
        exclusively(Path(tempfile.gettempdir()) / f"payment-service-build-{checkout}.lock"),
        builder(python) as building,
    ):
        for source in DISTRIBUTIONS:
            command = [building, "-m", "build", "--no-isolation", "--outdir", str(outdir)]
            result = subprocess.run([*command, str(source)], capture_output=True, text=True)
            if result.returncode != 0:
                raise RuntimeError(f"building {source} failed:\n{result.stdout}\n{result.stderr}")
    return sorted(outdir.glob("*.whl"))


def install(wheels: list[Path], target: Path, with_pip: bool = True) -> Path:
    """Install `wheels` (non-editable) into the venv `target`, creating it when missing, and
    return its bin directory. Dependencies come from the configured index (cached by pip).

    With `with_pip` the venv gets its own pip, which installs; without (the tests' throw-away
    venv), the pip of the interpreter running this installs into it (`--python`).
    """
    python = target / "bin" / "python"
    fresh = not python.exists()
    if fresh:
        venv.EnvBuilder(with_pip=with_pip, clear=True).create(target)
    runner = [str(python)] if with_pip else [sys.executable]
    pip = [*runner, "-m", "pip", *([] if with_pip else ["--python", str(python)]), "--quiet"]
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
    parser.add_argument("venv", type=Path, nargs="?", help="the venv to create or update")
    parser.add_argument("--dist", type=Path, help="keep the sdists and wheels here")
    arguments = parser.parse_args()
    if arguments.venv is None and arguments.dist is None:
        parser.error("give a VENV to install into, or --dist DIR to build only")
    with tempfile.TemporaryDirectory(prefix="payment-dist-") as scratch:
        outdir = (arguments.dist or Path(scratch)).resolve()
        wheels = build(outdir)
        names = ", ".join(wheel.name for wheel in wheels)
        if arguments.venv is None:
            print(f"built {names} into {outdir}")
            return
        bin_dir = install(wheels, arguments.venv.resolve())
    print(f"installed {names} into {bin_dir.parent}")


if __name__ == "__main__":
    main()

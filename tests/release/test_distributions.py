"""The sdists and wheels themselves: complete, and with metadata an index accepts."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

from tests.release.conftest import ROOT, Installed


def test_twine_check_passes_strictly(installed: Installed):
    files = sorted(str(path) for path in installed.dist.iterdir())
    assert len(files) == 10  # an sdist and a wheel of each distribution
    result = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *files],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("PASSED") == 10


def test_the_service_wheel_ships_the_migrations_the_payments_package_and_the_licence(
    installed: Installed,
):
    (wheel,) = installed.dist.glob("payment_service-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert "payment_service/payments/__init__.py" in names
    assert "payment_service/payments/histories.py" in names
    assert "payment_service/db/migrations/env.py" in names
    assert "payment_service/db/migrations/versions/0001_initial_schema.py" in names
    assert "payment_service/db/migrations/script.py.mako" in names
    assert "fake_servers/iamport/app.py" in names
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)
    assert not any(name.startswith(("tests/", "deploy/", "plugins/")) for name in names)
    # The SDK is a distribution of its own, which the service requires.
    assert not any(name.startswith(("payment_service_client/", "client/")) for name in names)
    assert "payment-service-client>=0.2" in metadata(wheel)["Requires-Dist"]


def test_the_sdk_wheel_is_typed_and_needs_only_requests_and_pycryptodome(installed: Installed):
    (wheel,) = installed.dist.glob("payment_service_client-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert "payment_service_client/py.typed" in names
    assert "payment_service_client/aio.py" in names
    assert {name.split("/")[0] for name in names} == {
        "payment_service_client",
        wheel.name.removesuffix("-py3-none-any.whl") + ".dist-info",
    }
    fields = metadata(wheel)
    assert sorted(fields["Requires-Dist"]) == [
        'httpx>=0.27; extra == "async"',
        "pycryptodome>=3.19",
        "requests>=2.31",
    ]
    assert fields["Provides-Extra"] == ["async"]
    assert "Typing :: Typed" in fields["Classifier"]


def metadata(wheel) -> dict[str, list[str]]:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        message = Parser().parsestr(archive.read(name).decode())
    return {key: message.get_all(key) for key in set(message.keys())}


def test_every_wheel_has_publishable_metadata(installed: Installed):
    for wheel in sorted(installed.dist.glob("*.whl")):
        fields = metadata(wheel)
        # 0.2: `Vendor.cancel` takes a `Refund`, so the plugins need a core that has it.
        assert fields["Version"] == ["0.2.0"], wheel.name
        assert fields["License"] == ["MIT"], wheel.name
        assert fields["License-File"] == ["LICENSE"], wheel.name
        assert fields["Requires-Python"] == [">=3.11"], wheel.name
        assert fields["Description-Content-Type"] == ["text/markdown"], wheel.name
        assert "Programming Language :: Python :: 3.11" in fields["Classifier"], wheel.name
        assert any(
            url.startswith("Original (TypeScript), https://") for url in fields["Project-URL"]
        )
    (plugin,) = installed.dist.glob("payment_vendor_toss-*.whl")
    assert metadata(plugin)["Requires-Dist"] == ["payment-service>=0.2"]


def test_every_sdist_carries_its_licence_and_readme(installed: Installed):
    for sdist in sorted(installed.dist.glob("*.tar.gz")):
        top = sdist.name.removesuffix(".tar.gz")
        with tarfile.open(sdist) as archive:
            names = set(archive.getnames())
        assert {f"{top}/LICENSE", f"{top}/README.md", f"{top}/setup.cfg"} <= names, sdist.name


def sdist_examples(sdist: Path) -> tuple[set[str], set[str]]:
    """The files of client/examples, and the sdist's, both as paths inside the sdist."""
    top = sdist.name.removesuffix(".tar.gz")
    examples = ROOT / "client" / "examples"
    wanted = {
        f"{top}/examples/{path.relative_to(examples).as_posix()}"
        for path in examples.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    with tarfile.open(sdist) as archive:
        return wanted, set(archive.getnames())


def test_the_sdk_sdist_carries_the_examples_its_readme_points_to(installed: Installed):
    (sdist,) = installed.dist.glob("payment_service_client-*.tar.gz")
    wanted, names = sdist_examples(sdist)
    assert wanted, "client/examples has no file"
    assert wanted <= names

"""The SDK as an integrating service installs it: a fresh venv with only the
`payment-service-client` wheel (and its `async` extra) from this run's build holds no server
dependency, calls every route of a served instance, sync and async, and types a service's code
for `mypy --strict` from what it installed (its `py.typed`)."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.wheels import install
from payment_service.testing import PaymentBackend
from tests.release.conftest import built_once

ROUTES = Path(__file__).with_name("client_routes.py")
# What the server needs and a service calling it must not get.
SERVER_ONLY = {
    "payment-service",
    "flask",
    "flask-smorest",
    "werkzeug",
    "sqlalchemy",
    "alembic",
    "psycopg",
    "psycopg-binary",
    "gunicorn",
    "prometheus-client",
    "pluggy",
    "marshmallow",
}


@pytest.fixture(scope="module")
def client_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = built_once(tmp_path_factory)
    (wheel,) = dist.glob("payment_service_client-*.whl")
    root = tmp_path_factory.mktemp("client-only")
    # pip reads `file.whl[extra]` as the wheel with its extra's dependencies.
    return install([Path(f"{wheel}[async]")], root / "venv", with_pip=False)


def in_venv(bin_dir: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    # Outside the checkout and without PYTHONPATH: only what the venv holds can be imported.
    return subprocess.run(
        [str(bin_dir / "python"), *arguments],
        cwd=bin_dir.parent,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_installed_set_is_the_sdk_and_its_http_and_crypto_libraries(client_venv: Path):
    listing = in_venv(
        client_venv,
        "-c",
        "import importlib.metadata as m, json;"
        "print(json.dumps(sorted(d.metadata['Name'].lower() for d in m.distributions())))",
    )
    assert listing.returncode == 0, listing.stderr
    installed = set(json.loads(listing.stdout))
    assert {"payment-service-client", "requests", "pycryptodome", "httpx"} <= installed
    assert not installed & SERVER_ONLY, sorted(installed & SERVER_ONLY)


@pytest.fixture(scope="module")
def backend() -> Iterator[PaymentBackend]:
    with PaymentBackend() as backend:
        yield backend


def case(backend: PaymentBackend) -> dict[str, str]:
    """A paid iamport card payment and a saved iamport card, for one client to register."""
    order, customer = str(uuid.uuid4()), str(uuid.uuid4())
    return {
        "order": order,
        "uid": backend.customer.pay_iamport_card(20000, order),
        "customer": customer,
        "customer_uid": backend.customer.register_iamport_card(customer),
    }


def test_every_route_of_a_served_instance_sync_and_async(
    client_venv: Path, backend: PaymentBackend
):
    given = {
        "url": backend.url,
        "key": backend.key,
        "iv": backend.iv,
        "sync": case(backend),
        "async": case(backend),
    }
    done = in_venv(client_venv, str(ROUTES), json.dumps(given))
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)

    assert report["sdk"].startswith(str(client_venv.parent)), report["sdk"]
    assert report["loaded"] == []
    assert [result["client"] for result in report["results"]] == ["sync", "async"]
    for result in report["results"]:
        assert result == {
            "client": result["client"],
            "healthy": True,
            "package": "payment-service",
            "rss": True,
            "plugins": ["iamport", "portone", "toss.payments"],
            "webhook_counts": True,
            "same_history": True,
            "price": "20000",
            "paid_typed": True,
            "refund": "4000",
            "same_reservation": True,
            "not_found": True,
        }
    assert sys.executable not in report["sdk"]


def test_mypy_strict_checks_a_service_against_the_installed_wheel(
    client_venv: Path, tmp_path: Path
):
    # mypy reads an installed package's own annotations only when it ships py.typed (PEP
    # 561): pointed at the client-only venv, it types the routes script from the wheel.
    service = tmp_path / "service.py"
    service.write_text(ROUTES.read_text(encoding="utf-8"), encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir",
            str(tmp_path / "cache"),
            "--python-executable",
            str(client_venv / "python"),
            str(service),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr

"""/docs in a real browser: headless Chromium, with every host but this one unreachable.

Swagger UI draws the operations client-side, so finding them in the DOM Chromium dumps proves
that the page's scripts loaded from this server and read /openapi.json.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from fake_servers.common.server import ServerThread

BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def chromium() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("no Chromium found (install it with `apt-get install -y chromium`; CI has it)")


@pytest.fixture
def server(app: Flask) -> Iterator[ServerThread]:
    with ServerThread(app) as running:
        yield running


def render(url: str, profile: Path) -> str:
    """The DOM after the page's scripts ran (virtual time: no waiting on real timers)."""
    result = subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            # No network at all: any host other than this server's fails to resolve.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            f"--user-data-dir={profile}",
            "--virtual-time-budget=10000",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=25,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_docs_page_renders_every_payment_route(server: ServerThread, tmp_path: Path) -> None:
    dom = render(f"{server.url}/docs", tmp_path / "profile")
    assert 'id="swagger-ui"' in dom
    assert "Failed to load API definition" not in dom
    for path in (
        "/payments/histories",
        "/payments/histories/get",
        "/payments/histories/cancel",
        "/payments/histories/{id}",
        "/payments/reservations",
        "/payments/reservations/get",
        "/payments/reservations/{id}",
        "/payments/webhooks/iamport",
        "/payments/webhooks/toss",
        "/payments/internal/webhook",
        "/monitors/health",
    ):
        assert f'data-path="{path}"' in dom, path
    # The description (markdown from the document) was rendered too.
    assert "Encrypted transport" in dom

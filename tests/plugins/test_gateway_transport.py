"""What a gateway call takes from the process's environment: the proxy variables (an egress
proxy is how many deployments reach the PGs), `NO_PROXY`, and never `~/.netrc`, whose entry for
a gateway's host would replace the call's own `Authorization`; TLS, verified against the
bundle the environment names or else certifi's; and a redirect, which is never followed. Real
servers on the wire: a recording HTTP proxy and recording gateways, one of them over TLS with a
certificate made for the test."""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from fake_servers.common.server import QuietHandler, ServerThread
from payment_service.vendors import GatewayError, GatewayUnavailable
from payment_service.vendors.gateway import GatewayClient

AUTHORIZATION = "Basic c2VjcmV0Og=="


class Recorder:
    """A WSGI peer that answers `{"by": name}` and keeps each request's target and
    Authorization."""

    def __init__(self, name: str, redirect_to: str | None = None) -> None:
        self.name = name
        self.redirect_to = redirect_to
        self.seen: list[tuple[str, str | None]] = []
        self.server = ServerThread(self.app, quiet=True)

    def app(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        self.seen.append((environ.get("REQUEST_URI", ""), environ.get("HTTP_AUTHORIZATION")))
        if self.redirect_to is not None:
            start_response("302 Found", [("Location", self.redirect_to + "/v1/payments/p-1")])
            return [b""]
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps({"by": self.name}).encode()]


@pytest.fixture
def proxy() -> Iterator[Recorder]:
    recorder = Recorder("proxy")
    with recorder.server:
        yield recorder


@pytest.fixture
def gateway() -> Iterator[Recorder]:
    recorder = Recorder("gateway")
    with recorder.server:
        yield recorder


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "REQUESTS_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def call(base_url: str) -> Any:
    client = GatewayClient("stand-in", base_url, 5)
    return client.call("GET", "/v1/payments/p-1", headers={"Authorization": AUTHORIZATION})


def test_a_call_goes_through_the_proxy_the_environment_names(
    proxy: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.server.url)
    # No such host: only the proxy can answer for it.
    assert call("http://gateway.example.invalid") == {"by": "proxy"}
    assert proxy.seen == [("http://gateway.example.invalid/v1/payments/p-1", AUTHORIZATION)]


def test_no_proxy_sends_a_host_direct(
    proxy: Recorder, gateway: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.server.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert call(gateway.server.url) == {"by": "gateway"}
    assert gateway.seen == [("/v1/payments/p-1", AUTHORIZATION)]
    assert proxy.seen == []


def test_a_netrc_entry_for_the_gateway_never_replaces_the_call_s_authorization(
    gateway: Recorder, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password else\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    assert call(gateway.server.url) == {"by": "gateway"}
    assert gateway.seen == [("/v1/payments/p-1", AUTHORIZATION)]


def test_a_redirect_is_a_gateway_failure_and_is_not_followed(gateway: Recorder) -> None:
    redirecting = Recorder("redirecting", redirect_to=gateway.server.url)
    with redirecting.server, pytest.raises(GatewayError) as failed:
        call(redirecting.server.url)
    assert failed.value.status == 502
    assert "302" in failed.value.message
    assert redirecting.seen == [("/v1/payments/p-1", AUTHORIZATION)]
    assert gateway.seen == []  # the credentials went nowhere else


@pytest.fixture
def tls_gateway(tmp_path: Path) -> Iterator[tuple[Recorder, str, Path]]:
    """A recording gateway at https://127.0.0.1:<port>, its self-signed certificate's file."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    recorder = Recorder("tls gateway")
    server = make_server(
        "127.0.0.1",
        0,
        recorder.app,
        threaded=True,
        request_handler=QuietHandler,
        ssl_context=(str(cert), str(key)),
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield recorder, f"https://127.0.0.1:{server.server_port}", cert
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_tls_is_verified_against_the_bundle_the_environment_names(
    tls_gateway: tuple[Recorder, str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder, url, cert = tls_gateway
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    assert call(url) == {"by": "tls gateway"}
    assert recorder.seen == [("/v1/payments/p-1", AUTHORIZATION)]


def test_a_certificate_no_trusted_authority_signed_is_refused(
    tls_gateway: tuple[Recorder, str, Path],
) -> None:
    recorder, url, _cert = tls_gateway
    with pytest.raises(GatewayUnavailable) as refused:
        call(url)
    assert refused.value.status == 503
    assert recorder.seen == []  # nothing was sent to it

"""The CORS answers every fake gives (they share fake_servers.common), checked once."""

from __future__ import annotations

import requests

# What a browser sends before a cross-origin POST with credentials and a JSON body.
PREFLIGHT = {
    "Origin": "http://shop.example",
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization,content-type",
}


def assert_preflight_allowed(reply: requests.Response) -> None:
    """`reply` to a PREFLIGHT request allows any origin, every method and the asked headers."""
    assert reply.status_code == 204
    assert reply.headers["Access-Control-Allow-Origin"] == "*"
    assert reply.headers["Access-Control-Allow-Methods"] == "GET,HEAD,PUT,PATCH,POST,DELETE"
    assert reply.headers["Access-Control-Allow-Headers"] == "authorization,content-type"

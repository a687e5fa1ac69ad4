"""GET /docs and its assets, served by this server alone."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from payment_service.api.docs import ASSETS, swagger_ui_dir

# Every URL the page refers to: src, href, and the document's URL in a data attribute.
REFERENCE = re.compile(r'(?:src|href|data-openapi-url)="([^"]*)"')


@pytest.mark.parametrize("path", ["/docs", "/docs/"])
def test_page_is_html_pointing_at_the_document(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.content_type == "text/html; charset=utf-8"
    html = response.get_data(as_text=True)
    assert 'data-openapi-url="/openapi.json"' in html
    assert "<title>payment-service" in html


def test_page_names_no_other_host(client: FlaskClient) -> None:
    html = client.get("/docs").get_data(as_text=True)
    assert "http://" not in html
    assert "https://" not in html
    assert "//" not in "".join(REFERENCE.findall(html))  # nor protocol-relative URLs


def test_page_policy_allows_only_this_origin(client: FlaskClient) -> None:
    policy = client.get("/docs").headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    assert "http" not in policy


def test_every_reference_of_the_page_answers_200_with_its_type(client: FlaskClient) -> None:
    html = client.get("/docs").get_data(as_text=True)
    references = REFERENCE.findall(html)
    expected_types = {
        ".css": "text/css",
        ".js": "text/javascript",
        ".png": "image/png",
        ".json": "application/json",
    }
    assert len(references) >= 5
    for url in references:
        response = client.get(url)
        assert response.status_code == 200, url
        suffix = url[url.rindex(".") :]
        assert response.mimetype == expected_types[suffix], url
        assert response.data, url
        response.close()


@pytest.mark.parametrize("name", sorted(ASSETS))
def test_asset_is_the_packaged_swagger_ui_file(client: FlaskClient, name: str) -> None:
    response = client.get(f"/docs/static/{name}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == ASSETS[name]
    assert response.data == (swagger_ui_dir() / name).read_bytes()
    response.close()


def test_start_up_script_configures_swagger_ui_offline(client: FlaskClient) -> None:
    response = client.get("/docs/static/docs.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    script = response.get_data(as_text=True)
    assert "SwaggerUIBundle(" in script
    assert "validatorUrl: null" in script  # else Swagger UI asks an online validator


@pytest.mark.parametrize(
    "path",
    [
        "/docs/static/index.css",  # in Swagger UI's folder, but not something the page uses
        "/docs/static/nothing.js",
        "/docs/static/..%2F__init__.py",
        "/docs/static/../../openapi.json.bak",
    ],
)
def test_anything_else_under_docs_static_is_404(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.get_json()["statusCode"] == 404

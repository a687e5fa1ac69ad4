"""GET /docs: Swagger UI over /openapi.json, entirely from this server (no CDN, no network).

The Swagger UI files come from the `flask-swagger-ui` distribution, which ships Swagger UI's
`dist/` folder; only those files are used, from our own routes, with our own small page. A
Content-Security-Policy holds the page to this origin, so a missing file shows up as a broken
page in the tests rather than as a silent fetch from elsewhere.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from flask import Blueprint, Response, current_app, render_template_string, send_from_directory
from flask import url_for as flask_url_for
from werkzeug.exceptions import NotFound

blp = Blueprint("docs", __name__, url_prefix="/docs")

# Swagger UI's files that the page loads, with their media types (Python's `mimetypes` names
# JavaScript differently from one version to the next).
ASSETS = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "favicon-32x32.png": "image/png",
    "favicon-16x16.png": "image/png",
}
INIT_SCRIPT = "docs.js"

# Our own start-up script, a file rather than an inline <script> so that the policy can forbid
# inline scripts.
INIT_JS = """\
window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    deepLinking: true,
    // The default would send the document to an online validator for a badge.
    validatorUrl: null
  });
});
"""

PAGE = """\
<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{{ title }} {{ version }}: API</title>
  <link rel="icon" type="image/png" sizes="32x32" href="{{ asset('favicon-32x32.png') }}">
  <link rel="icon" type="image/png" sizes="16x16" href="{{ asset('favicon-16x16.png') }}">
  <link rel="stylesheet" href="{{ asset('swagger-ui.css') }}">
</head>
<body>
  <noscript>This page needs JavaScript; the document itself is
    <a href="{{ openapi_url }}">{{ openapi_url }}</a>.</noscript>
  <div id="swagger-ui" data-openapi-url="{{ openapi_url }}"></div>
  <script src="{{ asset('swagger-ui-bundle.js') }}"></script>
  <script src="{{ asset('docs.js') }}"></script>
</body>
</html>
"""

# Swagger UI styles elements inline and draws icons from data: URIs; "Try it out" calls this
# same origin. Nothing may come from anywhere else.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)


def swagger_ui_dir() -> Path:
    """The folder of Swagger UI's dist files inside the installed `flask_swagger_ui` package."""
    return Path(str(files("flask_swagger_ui") / "dist"))


def openapi_url() -> str:
    """Where flask-smorest serves the document (honours OPENAPI_URL_PREFIX and a SCRIPT_NAME)."""
    return flask_url_for("api-docs.openapi_json")


@blp.get("")
@blp.get("/")
def page() -> Response:
    html = render_template_string(
        PAGE,
        title=current_app.config.get("API_TITLE", "API"),
        version=current_app.config.get("API_VERSION", ""),
        openapi_url=openapi_url(),
        asset=lambda name: flask_url_for("docs.asset", filename=name),
    )
    response = Response(html, content_type="text/html; charset=utf-8")
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


@blp.get("/static/<filename>")
def asset(filename: str) -> Response:
    if filename == INIT_SCRIPT:
        return Response(INIT_JS, content_type="text/javascript; charset=utf-8")
    if filename not in ASSETS:
        raise NotFound()
    response = send_from_directory(swagger_ui_dir(), filename)
    response.content_type = ASSETS[filename]
    return response

"""An app with both vendor plugins registered, as the documentation tests see it.

The document depends on no database content, so an in-memory SQLite URL that nothing opens
is enough, and no webhook dispatcher runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import payment_vendor_iamport.plugin
import payment_vendor_toss.plugin
import pytest
from flask import Flask
from flask.testing import FlaskClient

from payment_service.app import create_app
from tests.conftest import make_settings

VENDOR_PLUGINS = [payment_vendor_iamport.plugin, payment_vendor_toss.plugin]


def docs_app() -> Flask:
    return create_app(make_settings("sqlite://"), plugins=VENDOR_PLUGINS)


@pytest.fixture
def app() -> Iterator[Flask]:
    app = docs_app()
    yield app
    app.extensions["payment_service"].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def document(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return response.get_json()

"""R13, the test receiver of our own webhooks: bounded, and absent in real mode."""

from __future__ import annotations

import json
import uuid

from payment_service.api.internal import received
from payment_service.app import create_app
from payment_service.settings import Settings
from tests.conftest import make_settings
from tests.secret_keys import secret_keys_env


def webhook(number: int) -> dict:
    source = {"schema": "s", "table": "t", "id": str(uuid.uuid4())}
    return {"id": str(uuid.uuid4()), "source": source, "previous": {"n": number}, "current": {}}


def post(app, body: dict):
    cipher = app.extensions["payment_service"].settings.keys.connection
    return app.test_client().post(
        "/payments/internal/webhook",
        data=cipher.encrypt(json.dumps(body)),
        headers={"Content-Type": "text/plain"},
    )


def test_receiver_answers_201_empty_and_keeps_only_the_newest(tmp_path):
    settings = make_settings(f"sqlite:///{tmp_path / 'db.sqlite3'}", internal_webhook_capacity=2)
    app = create_app(settings)
    for number in range(3):
        response = post(app, webhook(number))
        assert response.status_code == 201
        assert response.data == b""
    assert [w["previous"]["n"] for w in received(app).list()] == [1, 2]
    app.extensions["payment_service"].close()


def test_receiver_validates_what_it_receives(tmp_path):
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'db.sqlite3'}"))
    response = post(app, {"id": "x", "source": {"schema": "s"}})
    assert response.status_code == 400
    assert response.json["path"] == "$input.source.table"
    assert received(app).list() == []
    app.extensions["payment_service"].close()


def test_receiver_does_not_exist_in_real_mode(tmp_path):
    environ = {
        "PAYMENT_MODE": "real",
        "PAYMENT_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "PAYMENT_LOAD_PLUGINS": "false",
    }
    environ.update(secret_keys_env())
    app = create_app(Settings.load(environ=environ, env_file=None))
    response = post(app, webhook(0))
    assert response.status_code == 404
    assert response.json == {
        "message": "Cannot POST /payments/internal/webhook",
        "error": "Not Found",
        "statusCode": 404,
    }
    app.extensions["payment_service"].close()

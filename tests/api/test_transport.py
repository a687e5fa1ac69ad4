"""The encrypted transport (docs/payment-api.md §1.2-1.4) on a route built for the test."""

from __future__ import annotations

import json

import marshmallow as ma
import pytest
from flask import Flask

from payment_service.app import create_app
from payment_service.crypto import Cipher
from payment_service.transport import DECRYPT_FAILED, Blueprint
from tests.conftest import make_settings

CIPHER = Cipher("MCKOxv9B23r7EatArCFcBP03nfaS03T8", "9haeYD1tIf4v8xs7")


class SourceSchema(ma.Schema):
    typia_name = "IPaymentSource"

    class Meta:
        unknown = ma.EXCLUDE

    schema = ma.fields.String(required=True)
    id = ma.fields.String(required=True)


class EchoSchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    source = ma.fields.Nested(SourceSchema, required=True)
    password = ma.fields.String(required=True)
    price = ma.fields.Decimal(required=True)


@pytest.fixture
def app(tmp_path) -> Flask:
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'db.sqlite3'}"))
    blp = Blueprint("echo", __name__)

    @blp.route("/echo", methods=["POST"])
    @blp.encrypted_arguments(EchoSchema)
    @blp.encrypted_response(201, EchoSchema)
    def echo(body):
        return body

    app.extensions["flask-smorest"]["apis"][""]["ext_obj"].register_blueprint(blp)
    return app


def post(client, body, content_type="text/plain"):
    headers = {} if content_type is None else {"Content-Type": content_type}
    return client.post("/echo", data=body, headers=headers)


def test_encrypted_round_trip(client):
    body = {"source": {"schema": "s", "id": "i"}, "password": "비밀", "price": 19.99}
    response = post(client, CIPHER.encrypt(json.dumps(body, ensure_ascii=False)))
    assert response.status_code == 201
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert json.loads(CIPHER.decrypt(response.data)) == body


def test_charset_parameter_is_accepted(client):
    body = '{"source":{"schema":"s","id":"i"},"password":"p","price":1}'
    response = post(client, CIPHER.encrypt(body), "text/plain; charset=utf-8")
    assert response.status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        "",
        "not base64 at all!",
        "AAAA",
        CIPHER.encrypt("{}")[:-6],
        Cipher("0123456789abcdef", "9haeYD1tIf4v8xs7").encrypt("{}"),
        CIPHER.encrypt("not json"),
        CIPHER.encrypt(""),
        "gAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    ],
    ids=[
        "empty",
        "not-base64",
        "short",
        "truncated",
        "wrong-key",
        "not-json",
        "empty-json",
        "bad-padding",
    ],
)
def test_every_undecryptable_body_gets_the_identical_400(client, body):
    response = post(client, body)
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json == {"message": DECRYPT_FAILED, "error": "Bad Request", "statusCode": 400}


def test_non_utf8_plaintext_gets_the_identical_400(client):
    import base64

    from Crypto.Cipher import AES
    from Crypto.Util.Padding import pad

    raw = AES.new(CIPHER.key.encode(), AES.MODE_CBC, CIPHER.iv.encode()).encrypt(
        pad(b"\xff\xfe{", 16)
    )
    response = post(client, base64.b64encode(raw))
    assert response.status_code == 400
    assert response.json["message"] == DECRYPT_FAILED


@pytest.mark.parametrize("content_type", ["application/json", "TEXT/PLAIN", "text/html"])
def test_other_media_types_are_refused(client, content_type):
    response = post(client, CIPHER.encrypt("{}"), content_type)
    assert response.status_code == 400
    assert response.json == {
        "message": 'Request body type is not "text/plain".',
        "error": "Bad Request",
        "statusCode": 400,
    }


def test_body_without_content_type_is_415(client):
    response = post(client, CIPHER.encrypt("{}"), None)
    assert response.status_code == 415
    assert response.json == {"statusCode": 415, "message": "Unsupported Media Type: undefined"}


def test_schema_violation_names_the_first_field(client):
    body = {"source": {"schema": "s", "id": 3}, "password": 5, "price": 1}
    response = post(client, CIPHER.encrypt(json.dumps(body)))
    assert response.status_code == 400
    assert response.json == {
        "path": "$input.source.id",
        "reason": "Error on typia.assert(): invalid type on $input.source.id, expect to be string",
        "expected": "string",
        "value": 3,
        "message": "Request body data is not following the promised type.",
    }


def test_missing_field_has_no_value_key(client):
    response = post(client, CIPHER.encrypt('{"source":{"schema":"s","id":"i"},"price":1}'))
    assert response.status_code == 400
    assert response.json["path"] == "$input.password"
    assert "value" not in response.json


def test_null_is_not_a_string(client):
    response = post(client, CIPHER.encrypt('{"source":null,"password":"p","price":1}'))
    assert response.status_code == 400
    assert response.json["path"] == "$input.source"
    assert response.json["value"] is None


def test_body_that_is_not_an_object_is_refused(client):
    response = post(client, CIPHER.encrypt("[1,2]"))
    assert response.status_code == 400
    assert response.json["path"] == "$input"
    assert response.json["expected"] == "Echo"


def test_too_large_body_is_413(client, app):
    app.config["MAX_CONTENT_LENGTH"] = 64
    response = post(client, "A" * 1000)
    assert response.status_code == 413
    assert response.json["statusCode"] == 413


def test_openapi_marks_encrypted_bodies_and_keeps_plaintext_schemas(client):
    document = client.get("/openapi.json").json
    operation = document["paths"]["/echo"]["post"]
    assert operation["x-encrypted-request"] is True
    assert operation["x-encrypted-response"] is True
    assert "text/plain" in operation["requestBody"]["content"]
    schema_ref = operation["requestBody"]["content"]["text/plain"]["schema"]["$ref"]
    name = schema_ref.rsplit("/", 1)[-1]
    assert set(document["components"]["schemas"][name]["properties"]) == {
        "source",
        "password",
        "price",
    }


def test_unexpected_error_is_500_without_a_trace(app):
    @app.route("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert response.json == {
        "message": "Internal server error.",
        "error": "Internal Server Error",
        "statusCode": 500,
    }
    assert b"secret" not in response.data and b"Traceback" not in response.data


def test_cors_on_answers_and_preflight(client):
    assert client.get("/nowhere").headers["Access-Control-Allow-Origin"] == "*"
    preflight = client.options("/echo", headers={"Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Methods"] == "GET,HEAD,PUT,PATCH,POST,DELETE"
    assert preflight.headers["Access-Control-Allow-Headers"] == "content-type"


def test_unknown_route_is_nest_style_404(client):
    response = client.get("/x")
    assert response.status_code == 404
    assert response.json == {"message": "Cannot GET /x", "error": "Not Found", "statusCode": 404}

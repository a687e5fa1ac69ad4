"""The OpenAPI document: every route of docs/payment-api.md §2.1, plaintext schemas,
encryption markers, errors."""

from __future__ import annotations

import re
import warnings
from typing import Any

import marshmallow as ma
import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask.views import MethodView

from payment_service.api.openapi import SchemaNames
from payment_service.api.schemas import SourceSchema
from payment_service.crypto import Cipher
from payment_service.transport import DECRYPT_FAILED, Blueprint

from .conftest import docs_app

CIPHER = Cipher("MCKOxv9B23r7EatArCFcBP03nfaS03T8", "9haeYD1tIf4v8xs7")
UUID = "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d"

# docs/payment-api.md §2.1: (number, method, path, request component, response component,
# success status); a component of None means no encrypted body in that direction.
HISTORY, RESERVATION = "IPaymentHistory", "IPaymentReservation"
ACCESSOR, PASSWORD = "IPaymentSource.IAccessor", "IPaymentSource.IPassword"
ROUTES = [
    ("R1", "get", "/monitors/health", None, None, "200"),
    ("R2", "get", "/monitors/performance", None, "IPerformance", "200"),
    ("R3", "get", "/monitors/system", None, "ISystem", "200"),
    ("R4", "patch", "/payments/histories/get", ACCESSOR, HISTORY, "200"),
    ("R5", "patch", "/payments/histories/{id}", PASSWORD, HISTORY, "200"),
    ("R6", "post", "/payments/histories", "IPaymentHistory.ICreate", HISTORY, "201"),
    ("R7", "put", "/payments/histories/cancel", "IPaymentCancelHistory.ICreate", HISTORY, "200"),
    ("R8", "patch", "/payments/reservations/get", ACCESSOR, RESERVATION, "200"),
    ("R9", "patch", "/payments/reservations/{id}", PASSWORD, RESERVATION, "200"),
    ("R10", "post", "/payments/reservations", "IPaymentReservation.ICreate", RESERVATION, "201"),
    ("R11", "post", "/payments/webhooks/iamport", None, None, "201"),
    ("R12", "post", "/payments/webhooks/toss", None, None, "201"),
    ("R13", "post", "/payments/internal/webhook", "IPaymentWebhookHistory", None, "201"),
]
PLAIN_JSON_BODY = {"R11", "R12"}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def resolve(document: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    """Follow a `$ref` to a component (responses or schemas)."""
    target = item.get("$ref")
    if target is None:
        return item
    _, _, kind, name = target.split("/", 3)
    return document["components"][kind][name]


def matches(document: dict[str, Any], schema: dict[str, Any], value: Any) -> bool:
    """A small JSON Schema check, enough for the error shapes: refs, anyOf, objects, types."""
    schema = resolve(document, schema)
    if "anyOf" in schema:
        return any(matches(document, branch, value) for branch in schema["anyOf"])
    kind = schema.get("type")
    if kind == "object":
        properties = schema.get("properties", {})
        if not isinstance(value, dict) or not set(schema.get("required", [])) <= set(value):
            return False
        if schema.get("additionalProperties") is False and not set(value) <= set(properties):
            return False
        return all(matches(document, properties[k], v) for k, v in value.items() if k in properties)
    types = {"string": str, "integer": int, "number": (int, float), "boolean": bool}
    return kind not in types or isinstance(value, types[kind])


@pytest.mark.parametrize(
    ("number", "method", "path", "request_schema", "response_schema", "status"),
    ROUTES,
    ids=[route[0] for route in ROUTES],
)
def test_route_of_the_spec_is_documented(
    document: dict[str, Any],
    number: str,
    method: str,
    path: str,
    request_schema: str | None,
    response_schema: str | None,
    status: str,
) -> None:
    operation = document["paths"][path][method]
    assert status in operation["responses"]
    success = operation["responses"][status]

    if number in PLAIN_JSON_BODY:
        assert list(operation["requestBody"]["content"]) == ["application/json"]
    elif request_schema is None:
        assert "requestBody" not in operation
    else:
        body = operation["requestBody"]
        assert body["required"] is True
        assert body["content"] == {"text/plain": {"schema": ref(request_schema)}}
    assert operation.get("x-encrypted-request", False) is (
        request_schema is not None and number not in PLAIN_JSON_BODY
    )

    if response_schema is None:
        assert "content" not in success
    else:
        assert success["content"] == {"text/plain": {"schema": ref(response_schema)}}
    assert operation.get("x-encrypted-response", False) is (response_schema is not None)
    assert operation.get("summary"), f"{number} has no summary"


def test_every_route_of_the_app_is_documented(app: Flask, document: dict[str, Any]) -> None:
    # Meta-test: a route added later without documentation fails here.
    undocumented = []
    for rule in app.url_map.iter_rules():
        # The docs page and the operator console are HTML for people, not the API.
        if rule.endpoint == "static" or rule.endpoint.split(".")[0] in (
            "api-docs",
            "docs",
            "console",
        ):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if method.lower() not in document["paths"].get(path, {}):
                undocumented.append(f"{method} {path}")
    assert undocumented == []


def test_vendor_webhook_routes_follow_the_registered_plugins() -> None:
    from payment_service.app import create_app
    from tests.conftest import make_settings

    app = create_app(make_settings("sqlite://"))
    try:
        paths = app.test_client().get("/openapi.json").get_json()["paths"]
    finally:
        app.extensions["payment_service"].close()
    assert not any(path.startswith("/payments/webhooks/") for path in paths)


@pytest.mark.parametrize(
    ("route", "required"),
    [("iamport", ["imp_uid", "merchant_uid", "status"]), ("toss", ["eventType"])],
)
def test_gateway_webhook_bodies_are_documented_by_their_plugins(
    document: dict[str, Any], route: str, required: list[str]
) -> None:
    operation = document["paths"][f"/payments/webhooks/{route}"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert schema["required"] == required
    assert set(required) <= set(schema["properties"])


# docs/payment-api.md §2.3: every input key is required.
INPUTS = {
    "IPaymentSource": {"schema", "table", "id"},
    "IPaymentSource.IPassword": {"password"},
    "IPaymentSource.IAccessor": {"schema", "table", "id", "password"},
    "IPaymentVendor": {"code", "store_id", "uid"},
    "IPaymentHistory.ICreate": {"vendor", "source", "price", "password", "webhook_url"},
    "IPaymentCancelHistory.ICreate": {"source", "password", "price", "reason", "account"},
    "IPaymentCancelHistory.IBankAccount": {"bank", "account", "holder", "mobile"},
    "IPaymentReservation.ICreate": {"vendor", "source", "title", "password"},
    "IPaymentWebhookHistory": {"id", "source", "previous", "current"},
}
# docs/payment-api.md §2.4.
OUTPUTS = {
    "IPaymentHistory": {
        "id", "vendor_code", "vendor", "source", "cancels", "currency", "price", "refund",
        "data", "webhook_url", "created_at", "paid_at", "cancelled_at",
    },
    "IPaymentReservation": {
        "id", "vendor_code", "vendor", "source", "title", "data", "created_at",
    },
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_input_schema_has_the_spec_keys_all_required(document: dict[str, Any], name: str) -> None:
    schema = document["components"]["schemas"][name]
    assert set(schema["properties"]) == INPUTS[name]
    assert set(schema["required"]) == INPUTS[name]


@pytest.mark.parametrize("name", sorted(OUTPUTS))
def test_output_schema_has_the_spec_keys(document: dict[str, Any], name: str) -> None:
    schema = document["components"]["schemas"][name]
    assert set(schema["properties"]) == OUTPUTS[name]
    nested = resolve(document, schema["properties"]["vendor"])
    assert set(nested["properties"]) == {"code", "store_id", "uid"}
    nested = resolve(document, schema["properties"]["source"])
    assert set(nested["properties"]) == {"schema", "table", "id"}


def test_schemas_carry_the_types_and_formats_of_the_spec(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    create = schemas["IPaymentHistory.ICreate"]["properties"]
    assert create["vendor"] == ref("IPaymentVendor")
    assert create["source"] == ref("IPaymentSource")
    assert create["price"]["type"] == "number"
    assert create["price"]["minimum"] == 0
    assert create["webhook_url"]["format"] == "uri"
    assert schemas["IPaymentSource"]["properties"]["id"]["format"] == "uuid"

    cancel = schemas["IPaymentCancelHistory.ICreate"]["properties"]
    assert cancel["price"]["exclusiveMinimum"] is True
    account = cancel["account"]["anyOf"]
    assert ref("IPaymentCancelHistory.IBankAccount") in account
    assert {"type": "object", "nullable": True} in account

    history = schemas["IPaymentHistory"]["properties"]
    assert history["refund"] == {"type": "number", "nullable": True, "minimum": 0}
    assert history["paid_at"]["nullable"] is True
    cancels = resolve(document, history["cancels"]["items"])
    assert set(cancels["properties"]) == {"price", "reason", "created_at", "time"}


def test_error_schema_is_ours(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert schemas["Error"]["anyOf"] == [
        ref("HttpError"),
        ref("ValidationError"),
        ref("GatewayError"),
    ]
    assert set(schemas["HttpError"]["properties"]) == {"message", "error", "statusCode"}
    assert set(schemas["ValidationError"]["properties"]) == {
        "path",
        "reason",
        "expected",
        "value",
        "message",
    }
    assert set(schemas["GatewayError"]["properties"]) == {"path", "message"}
    # flask-smorest's own {code, status, message, errors} never appears.
    for schema in schemas.values():
        assert not {"code", "status", "errors"} <= set(schema.get("properties", {}))
    assert "PaginationMetadata" not in schemas

    default = document["components"]["responses"]["DEFAULT_ERROR"]
    assert default["content"] == {"application/json": {"schema": ref("Error")}}


def test_every_error_response_names_the_error_schema(document: dict[str, Any]) -> None:
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            for status, response in operation["responses"].items():
                if status != "default" and int(status) < 400:
                    continue
                content = resolve(document, response)["content"]
                assert content == {"application/json": {"schema": ref("Error")}}, (
                    f"{method.upper()} {path} {status}"
                )


def test_refused_bodies_are_documented_as_400_not_422(document: dict[str, Any]) -> None:
    # Validation answers 400 (docs/payment-api.md §1.2); flask-smorest's default would document 422.
    operation = document["paths"]["/payments/histories/get"]["patch"]
    assert operation["responses"]["400"] == {"$ref": "#/components/responses/BAD_REQUEST"}
    assert "422" not in operation["responses"]


@pytest.mark.parametrize(
    ("method", "path", "body", "content_type", "status", "shape"),
    [
        ("patch", f"/payments/histories/{UUID}", CIPHER.encrypt('{"password":3}'), "text/plain",
         400, "ValidationError"),
        ("patch", "/payments/histories/not-a-uuid", CIPHER.encrypt("{}"), "text/plain",
         400, "ValidationError"),
        ("patch", "/payments/histories/get", "not base64", "text/plain", 400, "HttpError"),
        ("patch", "/payments/histories/get", "{}", "application/json", 400, "HttpError"),
        ("put", "/payments/histories/cancel", "x", None, 415, "HttpError"),
        ("get", "/nowhere", None, None, 404, "HttpError"),
    ],
    ids=["validation", "path-id", "undecryptable", "media-type", "no-content-type", "no-route"],
)  # fmt: skip
def test_error_answers_match_the_documented_error_schema(
    client: FlaskClient,
    document: dict[str, Any],
    method: str,
    path: str,
    body: str | None,
    content_type: str | None,
    status: int,
    shape: str,
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.open(path, method=method.upper(), data=body, headers=headers)
    assert response.status_code == status
    assert response.content_type.startswith("application/json")
    answer = response.get_json()
    assert matches(document, ref("Error"), answer)
    assert matches(document, ref(shape), answer)
    assert set(answer) <= set(document["components"]["schemas"][shape]["properties"])


def test_description_explains_the_encrypted_transport(document: dict[str, Any]) -> None:
    description = document["info"]["description"]
    for needle in (
        "x-encrypted-request",
        "x-encrypted-response",
        "AES",
        "CBC",
        "PKCS#7",
        "base64",
        "text/plain",
        "PAYMENT_CONNECTION_ENCRYPTION_KEY",
        "never encrypted",
        DECRYPT_FAILED,
    ):
        assert needle in description
    # The example in the description is a real ciphertext of the local key
    # (docs/payment-api.md §1.5, V2).
    assert CIPHER.encrypt('{"password":"some-password"}') in description


def test_tags_have_descriptions(document: dict[str, Any]) -> None:
    names = [tag["name"] for tag in document["tags"]]
    assert names == [
        "monitors",
        "histories",
        "reservations",
        "schedules",
        "webhooks",
        "internal",
        "metrics",
    ]
    assert all(tag.get("description") for tag in document["tags"])


def test_building_the_document_warns_about_nothing() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        app = docs_app()
        try:
            assert app.test_client().get("/openapi.json").status_code == 200
        finally:
            app.extensions["payment_service"].close()


class OtherSourceSchema(ma.Schema):
    """Claims the name of the real `IPaymentSource` (as a test's own schema may)."""

    typia_name = "IPaymentSource"
    other = ma.fields.String()


def test_a_second_schema_with_a_taken_name_gets_its_own_component() -> None:
    blp = Blueprint("extra", __name__)

    @blp.route("/extra")
    class Extra(MethodView):
        @blp.encrypted_arguments(OtherSourceSchema)
        @blp.encrypted_response(201, OtherSourceSchema)
        def post(self, body: dict[str, Any]) -> dict[str, Any]:
            return body

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        app = docs_app()
        try:
            app.extensions["flask-smorest"]["apis"][""]["ext_obj"].register_blueprint(blp)
            document = app.test_client().get("/openapi.json").get_json()
        finally:
            app.extensions["payment_service"].close()
    schemas = document["components"]["schemas"]
    assert set(schemas["IPaymentSource"]["properties"]) == {"schema", "table", "id"}
    other = f"{__name__}.OtherSourceSchema"
    assert set(schemas[other]["properties"]) == {"other"}
    body = document["paths"]["/extra"]["post"]["requestBody"]["content"]["text/plain"]
    assert body["schema"] == ref(other)


def test_schema_names_are_stable_per_class() -> None:
    names = SchemaNames()
    assert names(SourceSchema) == "IPaymentSource"
    assert names(SourceSchema()) == "IPaymentSource"
    assert names(OtherSourceSchema) == f"{__name__}.OtherSourceSchema"
    assert names(SourceSchema) == "IPaymentSource"


WRITES = {
    ("/payments/histories", "post"),
    ("/payments/histories/cancel", "put"),
    ("/payments/reservations", "post"),
    ("/payments/reservations/{id}/charges", "post"),
    ("/payments/reservations/{id}/schedules", "post"),
}


def test_write_routes_document_the_idempotency_key_header(document: dict[str, Any]) -> None:
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            headers = {
                parameter["name"]: parameter
                for parameter in operation.get("parameters", [])
                if parameter.get("in") == "header"
            }
            if (path, method) in WRITES:
                header = headers["Idempotency-Key"]
                assert header["required"] is False
                assert header["schema"]["maxLength"] == 255
                assert "Idempotent-Replayed" in header["description"]
            else:
                assert "Idempotency-Key" not in headers, (path, method)

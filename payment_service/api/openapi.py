"""The OpenAPI document: component names, the error schema, and the transport's description.

Only documentation lives here; nothing in this module changes what a route answers.
"""

from __future__ import annotations

import http
import re
from decimal import Decimal
from typing import Any

import marshmallow as ma
from apispec import BasePlugin
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_cls

from ..payments import bounds
from ..transport import DECRYPT_FAILED
from .schemas import Money

ERROR_REF = {"$ref": "#/components/schemas/Error"}

DESCRIPTION = f"""\
Unified payment server. A service hands it the identifiers that a payment gateway's checkout
returned; the server approves the payment at the gateway, stores it, cancels it on request, and
reports every change to the service's `webhook_url`.

## Encrypted transport

Most bodies travel encrypted. An operation marked **`x-encrypted-request: true`** takes an
encrypted request body; one marked **`x-encrypted-response: true`** answers with an encrypted
body. The schemas in this document are always the **plaintext** JSON: what you encrypt before
sending, and what you get after decrypting.

* **Cipher**: AES in CBC mode with PKCS#7 padding. The key and IV are the *connection key and IV*
  that the operator of this server gives you (`PAYMENT_CONNECTION_ENCRYPTION_KEY`,
  `PAYMENT_CONNECTION_ENCRYPTION_IV`): a key of 16, 24 or 32 ASCII characters (AES-128, -192,
  -256) and an IV of 16 ASCII characters, each used as its UTF-8 bytes. The IV is fixed by
  configuration and never sent.
* **Body**: the standard base64 (with `=` padding, one line) of the ciphertext of the UTF-8 JSON
  text, sent as the raw body with `Content-Type: text/plain`. Encrypted responses come back the
  same way (`text/plain; charset=utf-8`).
* **Credential**: there is no other authentication and no MAC: whoever holds the key can call.
  Keep it secret and use TLS.
* **Errors are never encrypted**: every error answer is plain JSON (`application/json`), with one
  of the shapes of the `Error` schema.
* **Undecryptable bodies**: whatever went wrong (not base64, wrong key or IV, bad padding, not
  UTF-8, not JSON), the answer is the same 400 `{{"message": "{DECRYPT_FAILED}", ...}}`, so that
  nobody learns which step failed. A media type other than exactly `text/plain` is refused with
  400 `Request body type is not "text/plain".`

Example, with the published `PAYMENT_MODE=local` defaults (key
`MCKOxv9B23r7EatArCFcBP03nfaS03T8`, IV `9haeYD1tIf4v8xs7`, refused in `dev` and `real` mode): the
plaintext `{{"password":"some-password"}}` travels as
`/Lu96CDAgYv09JxV0IsOQy8H7LuG9o4QJ29eZjgYjeI=`.

"Try it out" on this page sends the body exactly as typed: paste the base64 ciphertext, not the
JSON. The Python SDK (`payment_service.client`) encrypts and decrypts for you.

## Errors

Every error is plain JSON with a status from the table of each operation:

* `{{"message", "error", "statusCode"}}` for refusals such as 403 `Wrong password.` or 404;
* `{{"path", "reason", "expected", "value", "message"}}` when a decrypted body, or the `id` in
  the path, does not have the documented type (400; the first violation only);
* `{{"path", "message"}}` when a gateway's own error is passed through with its status.
"""

# Descriptions of the error statuses our routes answer, where the reason phrase says too little.
STATUS_DESCRIPTIONS = {
    400: "Refused input: wrong media type, an undecryptable body (always the same message), or "
    "a body or `id` that does not have the documented type.",
    403: "Wrong password.",
    404: "No such record (or no such route).",
    413: "The body is larger than the configured limit.",
    415: "A body was sent without a `Content-Type`.",
    500: "Unexpected server error (details are logged, never sent).",
}


class OpenErrorSchema(ma.Schema):
    class Meta:
        # Some errors add keys of their own (a gateway failure's details, an unknown vendor).
        unknown = ma.INCLUDE


class HttpErrorSchema(OpenErrorSchema):
    """A refusal, as NestJS phrases it."""

    message = ma.fields.String(required=True, metadata={"example": "Wrong password."})
    error = ma.fields.String(
        metadata={"description": "the status's reason phrase", "example": "Forbidden"}
    )
    statusCode = ma.fields.Integer(metadata={"example": 403})  # the wire name


class ValidationErrorSchema(OpenErrorSchema):
    """A body (or path `id`) that does not have the documented type: the first violation."""

    path = ma.fields.String(required=True, metadata={"example": "$input.password"})
    reason = ma.fields.String(
        required=True,
        metadata={
            "example": "Error on typia.assert(): invalid type on $input.password, "
            "expect to be string"
        },
    )
    expected = ma.fields.String(required=True, metadata={"example": "string"})
    value = ma.fields.Raw(
        metadata={"description": "the offending value; absent when the key is missing"}
    )
    message = ma.fields.String(
        required=True,
        metadata={"example": "Request body data is not following the promised type."},
    )


class GatewayErrorSchema(OpenErrorSchema):
    """A gateway's error, passed through with the gateway's status."""

    path = ma.fields.String(
        required=True, metadata={"description": "the gateway request's path", "example": "/v1/x"}
    )
    message = ma.fields.String(
        required=True, metadata={"description": "the gateway's response text, as it was"}
    )


ERROR_COMPONENTS: dict[str, type[ma.Schema]] = {
    "HttpError": HttpErrorSchema,
    "ValidationError": ValidationErrorSchema,
    "GatewayError": GatewayErrorSchema,
}


def money_bounds(converter: Any, field: ma.fields.Field, **kwargs: Any) -> dict[str, Any]:
    """apispec attribute function: the bounds `Money` enforces (OpenAPI 3.0 notation)."""
    if not isinstance(field, Money):
        return {}
    if not field.bounded:
        return {"minimum": 0}
    return {
        "minimum": 0,
        "exclusiveMinimum": True,
        "maximum": int(bounds.MAX_AMOUNT),
        "multipleOf": float(Decimal(1).scaleb(-bounds.MAX_DECIMALS)),
    }


class SchemaNames:
    """apispec `schema_name_resolver`: a schema's component is named after the TypeScript type of
    the original server (`typia_name`, e.g. `IPaymentHistory.ICreate`), so that the document
    reads like the original's; schemas without one keep their class name minus `Schema`.

    Two different classes claiming one name (a test's own `IPaymentSource`, say) would make
    apispec rename the second with a warning; the later one is named by its module instead.
    """

    def __init__(self) -> None:
        self._owners: dict[str, type] = {}

    def __call__(self, schema: Any) -> str:
        cls = resolve_schema_cls(schema)
        name = getattr(cls, "typia_name", None) or cls.__name__.removesuffix("Schema")
        owner = self._owners.setdefault(name or cls.__name__, cls)
        if owner is not cls:
            # Component names may only hold letters, digits, ".", "-" and "_".
            name = re.sub(r"[^A-Za-z0-9._-]", "_", f"{cls.__module__}.{cls.__qualname__}")
        return name or cls.__name__


class ErrorResponses(BasePlugin):
    """Give the error responses that a route lists without a body (`alt_response(403, ...)`)
    the error schema, so every error status shows what it answers."""

    def operation_helper(
        self, path: str | None = None, operations: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        for operation in (operations or {}).values():
            if not isinstance(operation, dict):
                continue
            for status, response in operation.get("responses", {}).items():
                if (
                    str(status).isdigit()
                    and int(status) >= 400
                    and isinstance(response, dict)
                    and "content" not in response
                    and "$ref" not in response
                ):
                    response["content"] = {"application/json": {"schema": dict(ERROR_REF)}}


class DocumentedApi:
    """Mixin for flask-smorest's `Api`: our error schema in place of its `{code, status,
    message}` one, which our handlers never answer."""

    spec: Any
    ma_plugin: MarshmallowPlugin

    @property
    def ERROR_SCHEMA(self) -> dict[str, Any]:  # flask-smorest reads this name
        return dict(ERROR_REF)

    def _init_spec(self, **kwargs: Any) -> None:
        super()._init_spec(**kwargs)  # type: ignore[misc]
        # Money is a custom field (exact decimals): without this it would have no type at all.
        self.ma_plugin.map_to_openapi_type(Money, "number", None)
        self.ma_plugin.converter.add_attribute_function(money_bounds)

    def _register_responses(self) -> None:
        # Replaces flask-smorest's: the same lazily registered responses (one per status, plus
        # DEFAULT_ERROR), pointing at our Error schema and described in our terms.
        components = self.spec.components
        refs = []
        for name, schema in ERROR_COMPONENTS.items():
            components.schema(name, schema=schema)
            refs.append({"$ref": f"#/components/schemas/{name}"})
        components.schema(
            "Error",
            {
                "description": "Every error answer: plain JSON, never encrypted.",
                # anyOf, not oneOf: the shapes admit extra keys, so a body can fit two.
                "anyOf": refs,
            },
        )
        for status in http.HTTPStatus:
            response: dict[str, Any] = {
                "description": STATUS_DESCRIPTIONS.get(status.value, status.phrase)
            }
            if status >= 400:
                response["content"] = {"application/json": {"schema": dict(ERROR_REF)}}
            components.response(status.name, response, lazy=True)
        components.response(
            "DEFAULT_ERROR",
            {
                "description": "Error (plain JSON, never encrypted).",
                "content": {"application/json": {"schema": dict(ERROR_REF)}},
            },
            lazy=True,
        )

    def _register_pagination_header(self) -> None:
        # No route paginates; flask-smorest's header would add an unused PaginationMetadata.
        return None


def spec_kwargs() -> dict[str, Any]:
    """The `spec_kwargs` of our flask-smorest `Api`; new plugin objects for every app."""
    return {
        "marshmallow_plugin": MarshmallowPlugin(schema_name_resolver=SchemaNames()),
        "extra_plugins": [ErrorResponses()],
        "info": {"description": DESCRIPTION},
    }

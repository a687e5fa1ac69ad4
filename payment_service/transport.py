"""Encrypted request and response bodies for flask-smorest routes (docs/payment-api.md §1.2-1.4).

A route declares `@blp.encrypted_arguments(Schema)` and `@blp.encrypted_response(201, Schema)`:
the body is decrypted with the connection key before the schema loads it, and the result is
encrypted after the schema dumps it. The OpenAPI document keeps the plaintext schemas and marks
each encrypted body (`x-encrypted-request`, `x-encrypted-response`).

Every failure to turn the body into JSON (empty, not base64, bad padding, not UTF-8, not JSON)
answers the same 400: an attacker must not learn which step failed (no padding oracle).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any, ClassVar

import flask_smorest
import marshmallow as ma
from flask import Request, Response, current_app, g
from webargs.flaskparser import FlaskParser

from .crypto import Cipher, DecryptionError, loads
from .errors import BadRequest, InvalidInput, PolicyRefusal, RawError, RefusedInput
from .keyrings import WireKeyring
from .wire import ABSENT, EMPTY_JSON, dumps, fastify_body

ENCRYPTED_CONTENT_TYPE = "text/plain; charset=utf-8"
DECRYPT_FAILED = (
    "Failed to decrypt the request body. Check your body content or encryption password."
)
ENCRYPTION_NOTE = (
    "The body on the wire is the standard base64 of AES-CBC (PKCS#7 padding) over the UTF-8 JSON "
    "shown here, with the connection key and IV; Content-Type `text/plain`."
)


def connection_cipher() -> Cipher:
    """The pair to answer with: the one that decrypted this request's body (a client still on
    a previous connection key during a rotation reads its answer), else the current one."""
    return g.get("connection_cipher") or connection_keys().current


def encrypted_answer(plaintext: str, status: int) -> Response:
    """`plaintext` encrypted with this request's pair (`connection_cipher`), as text/plain."""
    return Response(
        connection_cipher().encrypt(plaintext),
        status=status,
        content_type=ENCRYPTED_CONTENT_TYPE,
    )


def plaintext_of(response: Response) -> str | None:
    """The plaintext `response` was encrypted from, if it is this request's encrypted answer."""
    kept = g.get("plaintext_answer")
    return kept[1] if kept is not None and kept[0] is response else None


def connection_keys() -> WireKeyring:
    return current_app.extensions["payment_service"].settings.keys.connection


def _media_type(request: Request) -> str | None:
    header = request.headers.get("Content-Type")
    return None if header is None else header.split(";")[0].strip()


def _require_media_type(request: Request, expected: str, *, exact: bool) -> None:
    media = _media_type(request)
    if media is None and request.get_data(cache=True):
        # What Fastify answers to a body without any Content-Type (docs/payment-api.md §1.2).
        raise RawError(415, fastify_body(415, "Unsupported Media Type: undefined"))
    matches = media == expected if exact else expected in (media or "").lower()
    if not matches:
        raise BadRequest(f'Request body type is not "{expected}".')


def read_plain_json(request: Request) -> Any:
    """A plain JSON body (the gateways' webhooks), refused as the original refuses it."""
    _require_media_type(request, "application/json", exact=False)
    raw = request.get_data(cache=True)
    if not raw:
        raise RawError(400, fastify_body(400, EMPTY_JSON))
    try:
        return loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BadRequest("The request body is not valid JSON.") from None


def read_encrypted_json(request: Request) -> Any:
    """The decrypted JSON of an encrypted body, or the one uniform 400."""
    # The media type is matched case-sensitively, as the original does (docs/payment-api.md §1.2).
    _require_media_type(request, "text/plain", exact=True)
    # Decrypted once per request (the idempotency layer reads the body before the route does),
    # so that each request counts once in the key-usage figures.
    if "decrypted_body" in g:
        return g.decrypted_body
    try:
        value, g.connection_cipher = connection_keys().open(request.get_data(cache=True))
    except DecryptionError:
        raise BadRequest(DECRYPT_FAILED) from None
    g.decrypted_body = value
    return value


def load_once(schema: ma.Schema, body: Any) -> Any:
    """`schema.load(body)`, kept for the rest of the request: the idempotency layer loads a
    keyed request's body before the route's parser does (to refuse a bad body before it
    touches a key), and the parser then takes this result instead of loading it again.
    Raises `ValidationError` as `load` does."""
    loaded = schema.load(body)
    g.loaded_body = (schema, body, loaded)
    return loaded


class TransportParser(FlaskParser):
    """webargs parser with an `encrypted` location and typia-shaped validation errors."""

    # handle_error always answers 400; this only makes the OpenAPI document say so (not 422).
    DEFAULT_VALIDATION_STATUS = 400
    __location_map__: ClassVar[dict[str, Any]] = {
        "encrypted": "load_encrypted",
        **FlaskParser.__location_map__,
    }

    def load_encrypted(self, request: Request, schema: ma.Schema) -> Any:
        return read_encrypted_json(request)

    def load_json(self, request: Request, schema: ma.Schema) -> Any:
        return read_plain_json(request)

    def _process_location_data(
        self,
        location_data: Any,
        schema: ma.Schema,
        req: Request,
        location: str,
        unknown: str | None,
        validators: Any,
    ) -> Any:
        kept = g.get("loaded_body")
        if kept is not None and kept[0] is schema and kept[1] is location_data and not validators:
            return kept[2]  # `load_once` loaded this very body with this very schema
        return super()._process_location_data(
            location_data, schema, req, location, unknown, validators
        )

    def handle_error(
        self,
        error: ma.ValidationError,
        req: Request,
        schema: ma.Schema,
        *,
        error_status_code: int | None,
        error_headers: Mapping[str, str] | None,
    ) -> Any:
        messages = error.messages
        # webargs files the messages under the location's name: {"encrypted": {...}}.
        if isinstance(messages, dict) and len(messages) == 1:
            (location,) = messages
            if location in self.__location_map__:
                messages = messages[location]
        raise validation_error(schema, messages, error.data)


def validation_error(schema: ma.Schema, messages: Any, data: Any) -> InvalidInput:
    """The original's 400 for a body that breaks its type: the first violation only. A value
    a policy refused (not its type) is answered with that policy's reason instead. The 400 of
    an encrypted route travels in plain JSON, so its `value` is redacted where the schema marks
    a field secret (`redacted`): the path and expected type stay."""
    path, expected, value, found = first_violation(schema, messages, data, "$input")
    value = redacted_violation(schema, path, value)
    refusals = [
        m for m in (found if isinstance(found, list) else []) if isinstance(m, PolicyRefusal)
    ]
    if refusals:
        return RefusedInput(path, expected, value, refusals[0])
    return InvalidInput(path, expected, value)


def type_name(schema: ma.Schema) -> str:
    return getattr(schema, "typia_name", None) or type(schema).__name__.removesuffix("Schema")


def expected_type(field: ma.fields.Field) -> str:
    """typia's notation for what a field accepts (best effort; status and path are what count)."""
    explicit = field.metadata.get("expected")
    if explicit:
        base = explicit
    elif isinstance(field, ma.fields.Nested):
        base = type_name(field.schema)
    elif isinstance(field, ma.fields.Boolean):
        base = "boolean"
    elif isinstance(field, ma.fields.Number):
        base = "number"
    elif isinstance(field, ma.fields.List):
        base = f"Array<{expected_type(field.inner)}>"
    else:
        base = "string"
    if field.allow_none:
        return f"({base} | null)"
    if not field.required:
        return f"({base} | undefined)"
    return base


def first_violation(
    schema: ma.Schema, messages: Any, data: Any, path: str
) -> tuple[str, str, Any, Any]:
    """Walk the fields in declaration order and return (path, expected, value, messages) of
    the first one with an error; the value is `wire.ABSENT` when the key was absent."""
    if not isinstance(data, dict) or not isinstance(messages, dict):
        return path, type_name(schema), data, messages
    for name, field in schema.fields.items():
        key = field.data_key or name
        if key not in messages:
            continue
        child, value = f"{path}.{key}", data.get(key, ABSENT)
        nested = messages[key]
        if (
            isinstance(field, ma.fields.Nested)
            and isinstance(nested, dict)
            and isinstance(value, dict)
        ):
            return first_violation(field.schema, nested, value, child)
        return child, expected_type(field), value, nested
    return path, type_name(schema), data, messages


# -- redaction of echoed values ----------------------------------------------------------------

REDACTED = "***"
# A field's `metadata["redact"]`: "value" (the whole value is never echoed: passwords, bank
# accounts) or "credentials" (a URL is echoed without its `user:password@`).
REDACT = "redact"
_URL_CREDENTIALS = re.compile(r"^([^:/?#]*:?//)[^/?#]*@")


def redacted(field: ma.fields.Field, value: Any) -> Any:
    """`value` as the 400 may echo it for `field` (absent stays absent)."""
    how = field.metadata.get(REDACT)
    if value is ABSENT or how is None:
        return value
    if how == "credentials" and isinstance(value, str):
        # Malformed URLs included: whatever sits between `//` and the last `@` of the
        # authority is taken for credentials.
        return _URL_CREDENTIALS.sub(rf"\1{REDACTED}@", value)
    return REDACTED


def redacted_value(schema: ma.Schema, value: Any) -> Any:
    """`value` (what `schema` was given, or a part of it) with every secret field redacted, in
    nested objects and arrays too."""
    if isinstance(value, list):
        return [redacted_value(schema, item) for item in value]
    if not isinstance(value, dict):
        return value
    fields = {field.data_key or name: field for name, field in schema.fields.items()}
    result: dict[Any, Any] = {}
    for key, item in value.items():
        field = fields.get(key)
        if field is None:
            result[key] = item
        elif field.metadata.get(REDACT):
            result[key] = redacted(field, item)
        elif isinstance(field, ma.fields.Nested) and isinstance(field.schema, ma.Schema):
            result[key] = redacted_value(field.schema, item)
        else:
            result[key] = item
    return result


def redacted_violation(schema: ma.Schema, path: str, value: Any) -> Any:
    """The `value` of the violation at `path` (`$input.a.b`), redacted as its field says, or as
    the object it is when the violation is a whole object."""
    current: ma.Schema | None = schema
    field: ma.fields.Field | None = None
    for key in path.split(".")[1:]:
        if current is None:
            break
        fields = {f.data_key or name: f for name, f in current.fields.items()}
        field = fields.get(key)
        if field is None:
            break
        if field.metadata.get(REDACT):
            return redacted(field, value)
        nested = getattr(field, "schema", None) if isinstance(field, ma.fields.Nested) else None
        current = nested if isinstance(nested, ma.Schema) else None
    return redacted_value(current, value) if current is not None else value


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest Blueprint that knows the encrypted transport."""

    ARGUMENTS_PARSER = TransportParser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING: ClassVar[dict[str, str]] = {
        **flask_smorest.Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
        "encrypted": "text/plain",
    }

    def encrypted_arguments(self, schema: type[ma.Schema] | ma.Schema) -> Callable[..., Any]:
        """Decrypt the body and load it with `schema`; the view receives the loaded dict."""
        # One instance for every request: given a class, webargs would build one (and copy
        # each of its fields) per request.
        instance = schema() if isinstance(schema, type) else schema
        arguments = self.arguments(
            instance, location="encrypted", description=ENCRYPTION_NOTE, required=True
        )
        marker = self.doc(**{"x-encrypted-request": True})
        return lambda view: marker(arguments(view))

    def encrypted_response(
        self, status: int, schema: type[ma.Schema] | ma.Schema | None = None, description: str = ""
    ) -> Callable[..., Any]:
        """Dump the view's result with `schema` and answer it encrypted (text/plain)."""
        instance = schema() if isinstance(schema, type) else schema
        documented = self.response(
            status,
            instance,
            content_type="text/plain",
            description=(description + " " + ENCRYPTION_NOTE).strip(),
        )
        marker = self.doc(**{"x-encrypted-response": True})

        def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
            @wraps(view)
            def wrapper(*args: Any, **kwargs: Any) -> Response:
                result = view(*args, **kwargs)
                dumped = instance.dump(result) if instance is not None else result
                plaintext = dumps(dumped)
                response = encrypted_answer(plaintext, status)
                # What the idempotency layer keeps (encrypted at rest) to answer a replay in
                # the pair the replaying client uses, not the one of this answer's time.
                g.plaintext_answer = (response, plaintext)
                return response

            return marker(documented(wrapper))

        return decorator

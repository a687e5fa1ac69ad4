"""Error answers: plain JSON, never decrypted, one exception class per status."""

from __future__ import annotations

import uuid

import pytest

import payment_service.client as sdk
from payment_service.client import PaymentClient
from payment_service.testing import PaymentBackend

from .samples import HISTORY_ID, SOURCE, iamport_history
from .stub import DECRYPT_FAILED, Reply, StubServer
from .wire import IV, KEY, aes_encrypt

GET = ("PATCH", "/payments/histories/get")


def get(client: PaymentClient) -> None:
    client.histories.get(source=SOURCE, password="some-password")


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        *{400: sdk.BadRequest, 403: sdk.Forbidden, 404: sdk.NotFound, 409: sdk.Conflict}.items(),
        (422, sdk.Unprocessable),
        *[(status, sdk.ServerError) for status in (500, 501)],
        *[(status, sdk.GatewayError) for status in (502, 503, 504)],
        # Statuses without a class of their own.
        *[(status, sdk.PaymentError) for status in (401, 413)],
    ],
)
def test_each_status_raises_its_class_with_status_and_message(
    client, stub: StubServer, status: int, cls: type[sdk.PaymentError]
) -> None:
    # An `error` phrase no status has: the SDK must keep the body as sent, not rebuild it.
    sent = {"message": "some message", "error": "Whatever", "statusCode": status}
    stub.on(*GET, Reply.error(status, sent))

    with pytest.raises(cls) as caught:
        get(client)

    error = caught.value
    assert type(error) is cls
    assert error.status == status
    assert error.message == "some message"
    assert error.body == sent
    assert (error.method, error.path) == GET
    assert error.headers["content-type"] == "application/json; charset=utf-8"


def test_gateway_errors_are_server_errors_too(client, stub: StubServer) -> None:
    stub.on(*GET, Reply.nest(503, "gateway down"))
    with pytest.raises(sdk.ServerError):
        get(client)


def test_wrong_password_is_forbidden(backend: PaymentBackend, connect) -> None:
    order = {**SOURCE, "id": str(uuid.uuid4())}
    uid = backend.customer.pay_iamport_card(20000, order["id"])
    with connect(backend.url, KEY, IV) as client:
        client.histories.create(
            vendor={"code": "iamport", "uid": uid, "store_id": "store"},
            source=order,
            price=20000,
            password="the-password",
            webhook_url="http://127.0.0.1:9/hook",
        )
        with pytest.raises(sdk.Forbidden) as caught:
            client.histories.get(source=order, password="another-password")

    assert caught.value.body == {
        "message": "Wrong password.",
        "error": "Forbidden",
        "statusCode": 403,
    }


def test_a_gateway_pass_through_error_keeps_path_and_raw_message(client, stub: StubServer) -> None:
    raw = '{"code":"ALREADY_PROCESSED_PAYMENT","message":"이미 처리된 결제 입니다."}'
    stub.on(*GET, Reply.error(422, {"path": "/v1/payments/pk_1", "message": raw}))

    with pytest.raises(sdk.Unprocessable) as caught:
        get(client)

    assert caught.value.message == raw
    assert caught.value.body["path"] == "/v1/payments/pk_1"
    assert "[path: /v1/payments/pk_1]" in str(caught.value)


def test_a_validation_error_body_is_kept_whole(client, stub: StubServer) -> None:
    body = {
        "path": "$input.password",
        "reason": "Error on typia.assert(): invalid type on $input.password",
        "expected": "string",
        "value": 3,
        "message": "Request body data is not following the promised type.",
    }
    stub.on(*GET, Reply.error(400, body))

    with pytest.raises(sdk.BadRequest) as caught:
        get(client)

    assert caught.value.body == body
    assert caught.value.message == body["message"]
    # What a log line shows says where and why, not only that the type was broken.
    assert str(caught.value) == (
        "400 Request body data is not following the promised type. [path: $input.password; "
        "reason: Error on typia.assert(): invalid type on $input.password] "
        "(PATCH /payments/histories/get)"
    )


def test_an_error_body_is_never_decrypted(client, stub: StubServer) -> None:
    # Even an error body that *is* valid ciphertext stays as it came.
    ciphertext = aes_encrypt('{"message":"secret"}')
    stub.on(*GET, Reply(400, ciphertext, "text/plain"))

    with pytest.raises(sdk.BadRequest) as caught:
        get(client)

    assert caught.value.text == ciphertext
    assert caught.value.body is None
    assert caught.value.message == ciphertext


def test_a_non_json_error_body_gives_a_short_message(client, stub: StubServer) -> None:
    html = "<html><body>" + "Bad Gateway " * 100 + "</body></html>"
    stub.on(*GET, Reply(502, html, "text/html"))

    with pytest.raises(sdk.GatewayError) as caught:
        get(client)

    assert caught.value.message.startswith("<html><body>Bad Gateway")
    assert len(caught.value.message) <= 200
    assert caught.value.text == html


def test_an_empty_error_body_gives_the_reason_phrase(client, stub: StubServer) -> None:
    stub.on(*GET, Reply(503))

    with pytest.raises(sdk.GatewayError) as caught:
        get(client)

    assert caught.value.message == "Service Unavailable"


def test_an_unknown_route_is_not_found(client, stub: StubServer) -> None:
    with pytest.raises(sdk.NotFound, match="Cannot PATCH /payments/histories/get"):
        get(client)


def test_a_client_with_the_wrong_key_gets_bad_request(backend: PaymentBackend, connect) -> None:
    with (
        connect(backend.url, "0123456789abcdef", IV) as client,
        pytest.raises(sdk.BadRequest) as caught,
    ):
        get(client)

    assert caught.value.message == DECRYPT_FAILED


def test_a_success_body_that_does_not_decrypt_is_an_invalid_response(
    client, stub: StubServer
) -> None:
    stub.on(*GET, Reply(200, "this is not ciphertext", "text/plain"))

    with pytest.raises(sdk.InvalidResponse, match="does not decrypt") as caught:
        get(client)

    assert caught.value.status == 200
    assert caught.value.text == "this is not ciphertext"


def test_a_success_body_that_is_not_a_history_is_an_invalid_response(
    client, stub: StubServer
) -> None:
    broken = iamport_history(price="a lot")
    stub.on(*GET, Reply.encrypted(broken))

    with pytest.raises(sdk.InvalidResponse, match="'price' must be a number"):
        get(client)


def test_a_redirect_is_not_followed(client, stub: StubServer) -> None:
    stub.on(*GET, Reply(307, "", None, headers={"Location": f"/payments/histories/{HISTORY_ID}"}))

    with pytest.raises(sdk.PaymentError) as caught:
        get(client)

    assert caught.value.status == 307
    assert len(stub.requests) == 1


def test_every_sdk_error_shares_one_base(client, stub: StubServer) -> None:
    stub.on(*GET, Reply.nest(409, "dup"))
    with pytest.raises(sdk.PaymentSDKError):
        get(client)

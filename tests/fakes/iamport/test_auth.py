"""Tokens: issuing, the past `expired_at`, and the 403/404 answers of the token check."""

from __future__ import annotations

import time
import uuid

import pytest
import requests

from fake_servers.iamport import FakeIamport

from .helpers import CREDENTIALS, IamportClient

NO_TOKEN = {"message": "No authorization token exists.", "error": "Forbidden", "statusCode": 403}
WRONG_KEYS = {"message": "Wrong authorization key values.", "error": "Forbidden", "statusCode": 403}


def unknown_token(token: str) -> dict[str, object]:
    return {
        "message": f"Error on std.HashMap.get(): unable to find the matched key -> {token}",
        "error": "Not Found",
        "statusCode": 404,
    }


def test_get_token_issues_a_uuid_that_expired_three_minutes_ago(api: IamportClient) -> None:
    before = time.time()
    user = api.ok("POST", "/users/getToken", CREDENTIALS, authorize=False)
    after = time.time()

    assert list(user) == ["now", "expired_at", "access_token"]
    assert before - 0.001 <= user["now"] <= after + 0.001
    assert round(user["now"] * 1000) == user["now"] * 1000  # millisecond precision
    assert round((user["now"] - user["expired_at"]) * 1000) == 180_000
    assert str(uuid.UUID(user["access_token"], version=4)) == user["access_token"]


def test_every_token_stays_usable_although_expired_at_is_past(api: IamportClient) -> None:
    first = api.token()
    second = api.token()
    assert first != second
    for token in (first, second):
        reply = api.request("GET", "/payments/unknown", token=token)
        # Past the token check: the payment lookup is what fails.
        assert reply.status_code == 404
        assert reply.json()["message"].endswith("-> unknown")


def test_extra_keys_in_the_token_request_are_ignored(api: IamportClient) -> None:
    api.ok("POST", "/users/getToken", {**CREDENTIALS, "extra": 1}, authorize=False)


@pytest.mark.parametrize(
    "accessor",
    [
        {"imp_key": "test_imp_key", "imp_secret": "wrong"},
        {"imp_key": "wrong", "imp_secret": "test_imp_secret"},
        {"imp_key": "", "imp_secret": ""},
    ],
)
def test_wrong_credentials_are_forbidden(api: IamportClient, accessor: dict[str, str]) -> None:
    assert api.error(403, "POST", "/users/getToken", accessor, authorize=False) == WRONG_KEYS


def test_missing_credential_field_is_a_validation_error(api: IamportClient) -> None:
    body = api.error(400, "POST", "/users/getToken", {"imp_key": "test_imp_key"}, authorize=False)
    assert body == {
        "path": "$input.imp_secret",
        "reason": (
            "Error on core.TypedBody(): invalid type on $input.imp_secret, expect to be string"
        ),
        "expected": "string",
        "message": "Request body data is not following the promised type.",
    }


def test_non_string_credential_reports_its_value(api: IamportClient) -> None:
    body = api.error(
        400, "POST", "/users/getToken", {"imp_key": 3, "imp_secret": "x"}, authorize=False
    )
    assert (body["path"], body["expected"], body["value"]) == ("$input.imp_key", "string", 3)


def test_configured_credentials_replace_the_test_ones() -> None:
    with FakeIamport(credentials={"live_key": "live_secret"}) as fake:
        url = f"{fake.url}/users/getToken"
        good = requests.post(url, json={"imp_key": "live_key", "imp_secret": "live_secret"})
        assert good.status_code == 201
        assert requests.post(url, json=CREDENTIALS).json() == WRONG_KEYS
        assert fake.issue_token() in fake.state.users


def test_missing_authorization_header_is_forbidden(api: IamportClient) -> None:
    assert api.error(403, "GET", "/payments/anything", authorize=False) == NO_TOKEN


def test_unknown_token_is_not_found(api: IamportClient) -> None:
    body = api.error(404, "GET", "/payments/anything", token="no-such-token")
    assert body == unknown_token("no-such-token")


def test_bearer_prefix_is_not_understood(api: IamportClient) -> None:
    token = api.token()
    body = api.error(404, "GET", "/payments/anything", token=f"Bearer {token}")
    assert body == unknown_token(f"Bearer {token}")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/subscribe/payments/onetime", {"card_number": "1"}),
        ("POST", "/payments/cancel", {"imp_uid": "x"}),
        ("POST", "/vbanks", {}),
        ("PUT", "/vbanks", {"amount": 1}),
        ("POST", "/receipts/x", {}),
        ("POST", "/certifications/otp/request", {}),
        ("POST", "/certifications/otp/confirm/x", {}),
        ("POST", "/subscribe/customers/x", {}),
        ("POST", "/subscribe/payments/again", {}),
    ],
)
def test_body_validation_comes_before_the_token_check(
    api: IamportClient, method: str, path: str, body: dict[str, object]
) -> None:
    without = api.error(400, method, path, body, authorize=False)
    assert without["message"] == "Request body data is not following the promised type."
    unknown = api.error(400, method, path, body, token="no-such-token")
    assert unknown == without


def test_query_validation_comes_before_the_token_check(api: IamportClient) -> None:
    body = api.error(400, "GET", "/payments/x", params={"extension": "maybe"}, authorize=False)
    assert body == {
        "path": "$input.extension",
        "reason": (
            "Error on core.TypedQuery(): invalid type on $input.extension, "
            "expect to be (boolean | undefined)"
        ),
        "expected": "(boolean | undefined)",
        "value": "maybe",
        "message": "Request query data is not following the promised type.",
    }


@pytest.mark.parametrize("value", ["true", "false", "1", "0"])
def test_boolean_extension_query_is_accepted(api: IamportClient, value: str) -> None:
    api.error(404, "GET", "/payments/x", params={"extension": value})


def test_valid_body_without_token_is_forbidden(api: IamportClient) -> None:
    body = {
        "imp_uid": "x",
        "merchant_uid": "y",
        "checksum": None,
        "reason": "z",
    }
    assert api.error(403, "POST", "/payments/cancel", body, authorize=False) == NO_TOKEN

"""What the server tells a stranger: webhook_url refused at registration when invalid (and never
stored with credentials), no existence oracle on the gateway webhook routes, CORS as
configured. On SQLite and PostgreSQL, through HTTP."""

from __future__ import annotations

import json

import pytest
import requests

from payment_service.app import create_app
from payment_service.crypto import Cipher
from payment_service.db import PaymentHistory
from payment_service.settings import Settings
from payment_service.testing import PaymentBackend
from tests.conftest import make_settings
from tests.secret_keys import secret_keys_env

from .conftest import PASSWORD, TOSS_STORE, new_source, nothing_written, toss_create
from .test_hostile_input import assert_refused


@pytest.fixture
def paid(backend):
    source = new_source()
    return backend.customer.pay_toss_card(20000, source["id"]), source


def register(backend, uid: str, source: dict, webhook_url: str) -> requests.Response:
    body = {
        "vendor": {"code": "toss.payments", "store_id": TOSS_STORE, "uid": uid},
        "source": source,
        "price": 20000,
        "password": PASSWORD,
        "webhook_url": webhook_url,
    }
    text = Cipher(backend.key, backend.iv).encrypt(json.dumps(body))
    return requests.post(
        f"{backend.url}/payments/histories",
        data=text,
        headers={"Content-Type": "text/plain"},
        timeout=30,
    )


@pytest.mark.parametrize(
    "webhook_url",
    [
        "file:///etc/passwd",
        "gopher://127.0.0.1:6379/_FLUSHALL",
        "javascript:alert(1)",
        "http://user:secret@hooks.example.com/x",
        "http://hooks.example.com/\r\nX-Evil: 1",
        "http://0x7f000001:8080/",
        "http://2130706433:8080/",
    ],
)
def test_an_invalid_webhook_url_is_400_at_registration(backend, paid, webhook_url):
    uid, source = paid
    error = assert_refused(register(backend, uid, source, webhook_url), "$input.webhook_url")
    assert error["expected"] == 'string & Format<"uri">'
    assert nothing_written(backend)
    assert backend.toss.payment(uid)["status"] == "IN_PROGRESS"


def test_credentials_in_a_webhook_url_are_never_stored_or_echoed(backend, paid):
    uid, source = paid
    response = register(backend, uid, source, "https://app:hunter2@hooks.example.com/x")
    assert response.status_code == 400
    assert "hunter2" not in json.dumps(response.json()["reason"] + response.json()["message"])
    with backend.runtime.database.transaction() as session:
        assert session.query(PaymentHistory).count() == 0


@pytest.mark.parametrize(
    ("webhook_url", "kind"),
    [
        ("http://127.0.0.1:8000/hooks", "127.0.0.1 is a loopback address"),
        ("http://[::1]:8000/hooks", "::1 is a loopback address"),
        ("http://169.254.169.254/latest/meta-data", "169.254.169.254 is a link-local address"),
    ],
)
def test_dev_mode_refuses_an_internal_address_naming_the_policy_and_its_setting(
    database_url, webhook_url, kind
):
    """Not typia's `Format<"uri">` error: the URL is well formed; the answer says which policy
    refused it and which setting decides, in the usual body of a validation error."""
    environ = {"PAYMENT_MODE": "dev", **secret_keys_env()}
    with PaymentBackend(database_url, environ=environ) as backend:
        source = new_source()
        uid = backend.customer.pay_toss_card(20000, source["id"])
        response = register(backend, uid, source, webhook_url)
        assert response.status_code == 400, response.text
        error = response.json()
        assert list(error) == ["path", "reason", "expected", "value", "message"]
        assert (error["path"], error["value"]) == ("$input.webhook_url", webhook_url)
        assert error["expected"] == 'string & Format<"uri">'
        assert error["reason"].startswith(f"{kind}. Outside local mode, webhooks are never sent")
        assert "PAYMENT_WEBHOOK_ALLOWED_NETWORKS" in error["reason"]
        assert error["message"] == (
            "webhook_url is refused by this server's PAYMENT_WEBHOOK_ALLOWED_NETWORKS."
        )
        assert "Format" not in error["reason"] + error["message"]
        assert nothing_written(backend)


def test_a_listed_network_allows_its_addresses_and_names_the_setting_for_others(database_url):
    environ = {
        "PAYMENT_MODE": "dev",
        "PAYMENT_WEBHOOK_ALLOWED_NETWORKS": "10.0.0.0/8",
        **secret_keys_env(),
    }
    with PaymentBackend(database_url, environ=environ) as backend:
        source = new_source()
        uid = backend.customer.pay_toss_card(20000, source["id"])
        refused = register(backend, uid, source, "http://192.168.1.7/hooks").json()
        assert refused["reason"] == (
            "192.168.1.7 is not among the networks the server's PAYMENT_WEBHOOK_ALLOWED_NETWORKS "
            "allows: use an address in them, or ask the server's operator to add this one (or "
            "its network) there."
        )
        assert register(backend, uid, source, "http://10.1.2.3/hooks").status_code == 201


# -- no existence oracle --------------------------------------------------------------------


def toss_event(uid: str, order_id: str) -> dict:
    return {
        "eventType": "PAYMENT_STATUS_CHANGED",
        "data": {"paymentKey": uid, "orderId": order_id, "status": "DONE"},
    }


def iamport_event(uid: str, order_id: str) -> dict:
    return {"imp_uid": uid, "merchant_uid": order_id, "status": "paid"}


def visible(response: requests.Response) -> tuple:
    # The date and the (random, per request) request id differ between any two answers.
    varying = {"date", "x-request-id"}
    headers = {k: v for k, v in response.headers.items() if k.lower() not in varying}
    return response.status_code, headers, response.content


def test_known_and_unknown_uids_get_the_same_answer(backend, client, receiver):
    source = new_source()
    uid = backend.customer.pay_toss_card(20000, source["id"])
    toss_create(client, receiver, uid, source)
    url = f"{backend.url}/payments/webhooks/toss"
    known = requests.post(url, json=toss_event(uid, source["id"]), timeout=30)
    unknown = requests.post(url, json=toss_event("tgen_unknown", source["id"]), timeout=30)
    assert visible(known) == visible(unknown)
    assert known.status_code == 201 and known.content == b""
    iamport = f"{backend.url}/payments/webhooks/iamport"
    unknown_iamport = requests.post(iamport, json=iamport_event("imp_x", "m"), timeout=30)
    assert visible(unknown_iamport) == visible(unknown)


# -- CORS ----------------------------------------------------------------------------------


def cors_app(database_url: str, **environ: str):
    base = make_settings(database_url).environ
    return create_app(Settings.load(environ={**base, **environ}, env_file=None))


def preflight(client, origin: str = "https://shop.example.com"):
    return client.open(
        "/payments/histories",
        method="OPTIONS",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-anything",
        },
    )


def test_local_mode_answers_any_origin_as_the_original(database_url):
    app = cors_app(database_url)
    response = preflight(app.test_client())
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Access-Control-Allow-Headers"] == "content-type, x-anything"
    app.extensions["payment_service"].close()


def test_dev_and_real_send_no_cors_headers_by_default(database_url):
    app = cors_app(database_url, PAYMENT_MODE="dev", **secret_keys_env())
    client = app.test_client()
    response = preflight(client)
    assert response.status_code == 204
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Access-Control-Allow-Headers" not in response.headers
    health = client.get("/monitors/health", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in health.headers
    app.extensions["payment_service"].close()


def test_listed_origins_only_and_only_the_headers_the_api_reads(database_url):
    app = cors_app(
        database_url,
        PAYMENT_MODE="dev",
        PAYMENT_CORS_ORIGINS="https://shop.example.com, https://admin.example.com",
        **secret_keys_env(),
    )
    client = app.test_client()
    allowed = preflight(client)
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert allowed.headers["Access-Control-Allow-Headers"] == "Content-Type"
    assert "Origin" in allowed.headers.get_all("Vary")
    refused = preflight(client, "https://evil.example")
    assert "Access-Control-Allow-Origin" not in refused.headers
    health = client.get("/monitors/health", headers={"Origin": "https://admin.example.com"})
    assert health.headers["Access-Control-Allow-Origin"] == "https://admin.example.com"
    app.extensions["payment_service"].close()


def test_a_bad_cors_origin_is_named_at_start(database_url):
    from payment_service.settings import SettingsError

    with pytest.raises(SettingsError) as caught:
        cors_app(database_url, PAYMENT_CORS_ORIGINS="shop.example.com")
    assert caught.value.problems == [
        "PAYMENT_CORS_ORIGINS: 'shop.example.com' is not an origin (http(s)://host[:port]) nor *"
    ]

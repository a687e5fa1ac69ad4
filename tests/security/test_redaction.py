"""/monitors/system keeps the original's fields but never shows a secret from the command line."""

from __future__ import annotations

import json
import sys

from payment_service.crypto import Cipher
from payment_service.monitoring.redaction import REDACTED, redact_arguments
from payment_service.settings import PUBLISHED_KEYS as PUBLISHED

CIPHER = Cipher("MCKOxv9B23r7EatArCFcBP03nfaS03T8", "9haeYD1tIf4v8xs7")


def test_secret_looking_arguments_are_redacted_and_the_rest_kept():
    argv = [
        "/usr/bin/gunicorn",
        "wsgi:app",
        "--workers",
        "4",
        "--key",
        "k3Y-value",
        "--api-secret=s3cr3t",
        "PAYMENT_HISTORY_ENCRYPTION_KEY=MTlsOESZ6geZTjeaubOdR71tobe0KqE7",
        "postgresql+psycopg://app:hunter2@db:5432/pay",
        "Zx9Qw3Er7Ty1Ui5Op2As6Df4Gh8Jk0Lm",
        "--bind",
        "0.0.0.0:8080",
        "configured-secret-value",
    ]
    shown = redact_arguments(argv, {"configured-secret-value"})
    assert shown == [
        "/usr/bin/gunicorn",
        "wsgi:app",
        "--workers",
        "4",
        "--key",
        REDACTED,
        f"--api-secret={REDACTED}",
        f"PAYMENT_HISTORY_ENCRYPTION_KEY={REDACTED}",
        f"postgresql+psycopg://app:{REDACTED}@db:5432/pay",
        REDACTED,
        "--bind",
        "0.0.0.0:8080",
        REDACTED,
    ]


def test_the_route_redacts_configured_keys_in_argv(client, monkeypatch):
    key = "MCKOxv9B23r7EatArCFcBP03nfaS03T8"
    monkeypatch.setattr(
        sys, "argv", ["payment-service", "serve", f"--note={key}x", "sqlite://u:pw@h/db"]
    )
    response = client.get("/monitors/system")
    assert response.status_code == 200
    system = json.loads(CIPHER.decrypt(response.data))
    assert set(system) == {"uid", "arguments", "package", "commit", "created_at"}
    assert system["arguments"] == [
        "payment-service",
        "serve",
        f"--note={REDACTED}x",
        f"sqlite://u:{REDACTED}@h/db",
    ]
    assert key not in response.get_data(as_text=True)


VENDORS = {
    "iamport": {
        "base_url": "http://127.0.0.1:10851",
        "default": {"imp_key": "imp-key-2222", "imp_secret": "iamport-api-secret-1"},
    },
    "toss.payments": {"stores": {"shop-a": {"secret_key": "test_sk_shopA"}}},
}


def configured_app(tmp_path, **environ: str):
    from payment_service.app import create_app
    from payment_service.settings import Settings

    env = {
        "PAYMENT_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "PAYMENT_LOAD_PLUGINS": "false",
        "PAYMENT_VENDORS": json.dumps(VENDORS),
        **environ,
    }
    return create_app(Settings.load(environ=env, env_file=None))


def test_the_route_hides_the_vendor_credentials_given_on_the_command_line(tmp_path, monkeypatch):
    vendors_json = json.dumps(VENDORS)
    monkeypatch.setattr(
        sys,
        "argv",
        [
            "env",
            f"PAYMENT_VENDORS={vendors_json}",
            "PAYMENT_DATABASE_READONLY_PASSWORD=ro",
            "payment-service",
            "serve",
            "--vendors",
            vendors_json,
        ],
    )
    app = configured_app(tmp_path)
    try:
        response = app.test_client().get("/monitors/system")
    finally:
        app.extensions["payment_service"].close()
    assert response.status_code == 200
    arguments = json.loads(CIPHER.decrypt(response.data))["arguments"]
    text = json.dumps(arguments)
    for secret in ("imp-key-2222", "iamport-api-secret-1", "test_sk_shopA"):
        assert secret not in text
    redacted = {
        "iamport": {
            "base_url": "http://127.0.0.1:10851",
            "default": {"imp_key": REDACTED, "imp_secret": REDACTED},
        },
        "toss.payments": {"stores": {"shop-a": {"secret_key": REDACTED}}},
    }
    # What is not secret stays readable: the variable's name, URLs, store ids, the command.
    name, _, value = arguments[1].partition("=")
    assert (name, json.loads(value)) == ("PAYMENT_VENDORS", redacted)
    assert arguments[2] == f"PAYMENT_DATABASE_READONLY_PASSWORD={REDACTED}"
    assert arguments[3:6] == ["payment-service", "serve", "--vendors"]


def test_repr_of_the_settings_shows_no_secret(tmp_path):
    from payment_service.settings import Settings

    environ = {
        "PAYMENT_DATABASE_URL": "postgresql+psycopg://payments:db-pass-9z@db:5432/payments",
        "PAYMENT_DATABASE_READONLY_USER": "reader",
        "PAYMENT_DATABASE_READONLY_PASSWORD": "reader-pass-8y",
        "PAYMENT_VENDORS": json.dumps(VENDORS),
        "PAYMENT_WEBHOOK_SIGNING_SECRET": "whsec_c2lnbmluZy1zZWNyZXQ=",
        "PAYMENT_CONNECTION_ENCRYPTION_KEY": "Zx9Qw3Er7Ty1Ui5Op2As6Df4Gh8Jk0Lm",
        "PAYMENT_IAMPORT_SECRET": "env-iamport-secret",
    }
    settings = Settings.load(environ=environ, env_file=None)
    shown = repr(settings)
    for secret in [
        "db-pass-9z",
        "reader-pass-8y",
        "imp-key-2222",
        "iamport-api-secret-1",
        "test_sk_shopA",
        "whsec_c2lnbmluZy1zZWNyZXQ=",
        "Zx9Qw3Er7Ty1Ui5Op2As6Df4Gh8Jk0Lm",
        "env-iamport-secret",
        *(value for table in ("HISTORY", "WEBHOOK") for value in PUBLISHED[table]),
    ]:
        assert secret not in shown
    # …while what is not secret is still there to read.
    assert "postgresql+psycopg://payments:***@db:5432/payments" in shown
    assert "'reader'" in shown and "http://127.0.0.1:10851" in shown

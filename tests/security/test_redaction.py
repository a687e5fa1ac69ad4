"""/monitors/system keeps the original's fields but never shows a secret from the command line."""

from __future__ import annotations

import json
import sys

from payment_service.crypto import Cipher
from payment_service.monitoring.redaction import REDACTED, redact_arguments

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

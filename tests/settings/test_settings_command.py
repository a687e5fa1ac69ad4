"""`payment-service settings`: the configuration in effect, where each value comes from,
secrets hidden; the problems of a bad configuration; only one role's variables with --role."""

from __future__ import annotations

import io
import json
from pathlib import Path

from dotenv import dotenv_values

from tests.support.cli import run_cli


def shown(stdout: str) -> dict[str, tuple[str, str]]:
    """Each printed variable: (value, comment)."""
    found: dict[str, tuple[str, str]] = {}
    for line in stdout.splitlines():
        if line.startswith("#"):
            continue
        assignment, _, comment = line.partition("  # ")
        name, _, value = assignment.partition("=")
        found[name] = (value.rstrip(), comment)
    return found


def test_every_variable_is_shown_with_its_source_and_secrets_hidden(tmp_path: Path):
    (tmp_path / ".env").write_text(
        "PAYMENT_WORKERS=3\nPAYMENT_WEBHOOK_SIGNING_SECRET=whsec_c2lnbmluZy1zZWNyZXQ=\n"
    )
    vendors = {
        "iamport": {
            "base_url": "http://127.0.0.1:9",
            "default": {"imp_key": "k1", "imp_secret": "s1"},
        }
    }
    env = {
        "PAYMENT_DATABASE_URL": "postgresql+psycopg://payments:db-pass-9z@db:5432/payments",
        "PAYMENT_VENDORS": json.dumps(vendors),
        "PAYMENT_TOSS_PAYMENTS_SECRET": "test_sk_env_secret",
        "PAYMENT_HISTORY_ENCRYPTION_KEY": "Zx9Qw3Er7Ty1Ui5Op2As6Df4Gh8Jk0Lm",
    }
    result = run_cli("settings", env=env, cwd=tmp_path)
    assert result.status == 0, result.stderr
    for secret in (
        "db-pass-9z",
        "s1",
        "whsec_c2lnbmluZy1zZWNyZXQ=",
        "test_sk_env_secret",
        "Zx9Qw3",
    ):
        assert secret not in result.stdout
    values = shown(result.stdout)
    assert values["PAYMENT_MODE"] == ("local", "default")
    assert values["PAYMENT_WORKERS"] == ("3", ".env")
    assert values["PAYMENT_WEBHOOK_SIGNING_SECRET"] == ("***", ".env")
    assert values["PAYMENT_DATABASE_URL"] == (
        "postgresql+psycopg://payments:***@db:5432/payments",
        "environment",
    )
    assert json.loads(values["PAYMENT_VENDORS"][0]) == {
        "iamport": {
            "base_url": "http://127.0.0.1:9",
            "default": {"imp_key": "***", "imp_secret": "***"},
        }
    }
    assert values["PAYMENT_HISTORY_ENCRYPTION_KEY"] == ("***", "environment")
    assert values["PAYMENT_HISTORY_ENCRYPTION_IV"] == ("", "default")
    # The installed plugins' own variables are listed too, hidden as their plugins declare.
    assert values["PAYMENT_TOSS_PAYMENTS_SECRET"] == ("***", "environment")
    assert values["PAYMENT_IAMPORT_KEY"] == ("", "default")
    assert values["PAYMENT_API_PORT"] == ("37821", "default")
    assert values["PAYMENT_CORS_ORIGINS"] == ("*", "default")


def test_a_bad_configuration_is_shown_with_every_problem_and_exit_status_2(tmp_path: Path):
    env = {"PAYMENT_MODE": "real", "PAYMENT_WORKERS": "many", "PAYMENT_WEBHOK_WORKERS": "3"}
    result = run_cli("settings", env=env, cwd=tmp_path)
    assert result.status == 2
    values = shown(result.stdout)
    assert values["PAYMENT_MODE"] == ("real", "environment")
    assert values["PAYMENT_WORKERS"] == ("many", "environment, invalid")
    assert values["PAYMENT_CORS_ORIGINS"] == ("", "default")  # the real-mode default: none
    assert values["PAYMENT_CONNECTION_ENCRYPTION_KEY"] == ("", "not set: see the problems")
    assert "PAYMENT_WEBHOK_WORKERS" in result.stdout.splitlines()[-1]  # a typo, named
    assert "PAYMENT_WORKERS: must be a whole number (got 'many')" in result.stderr
    assert "PAYMENT_CONNECTION_ENCRYPTION_KEY: required in real mode" in result.stderr
    assert result.stderr.count("required in real mode") == 13


def test_a_role_shows_only_what_it_reads(tmp_path: Path):
    result = run_cli("settings", "--role", "sender", env={}, cwd=tmp_path)
    assert result.status == 0, result.stderr
    values = shown(result.stdout)
    assert "PAYMENT_WEBHOOK_WORKERS" in values and "PAYMENT_WEBHOOK_SIGNING_SECRET" in values
    assert "PAYMENT_CONNECTION_ENCRYPTION_KEY" in values and "PAYMENT_DATABASE_URL" in values
    for other in ("PAYMENT_API_PORT", "PAYMENT_PASSWORD_CACHE_S", "PAYMENT_VENDORS"):
        assert other not in values
    fakes = shown(run_cli("settings", "--role", "fakes", env={}, cwd=tmp_path).stdout)
    assert list(fakes) == ["PAYMENT_TRACE_HOOKS"]


def test_keys_generate_prints_an_env_file_that_real_mode_accepts(tmp_path: Path):
    from payment_service.settings import PUBLISHED_KEYS, Settings

    first = run_cli("keys", "generate", env={}, cwd=tmp_path)
    second = run_cli("keys", "generate", env={}, cwd=tmp_path)
    assert first.status == 0, first.stderr
    env_file = tmp_path / "keys.env"
    env_file.write_text(first.stdout)
    generated = {k: v for k, v in dotenv_values(env_file).items() if v is not None}
    assert len(generated) == 2 * len(PUBLISHED_KEYS) + 2
    assert generated["PAYMENT_WEBHOOK_SIGNING_SECRET"].startswith("whsec_")
    # Fresh every time, and every value its own.
    again = dotenv_values(stream=io.StringIO(second.stdout))
    assert not set(generated.values()) & set(again.values())
    assert len(set(generated.values())) == len(generated)
    # Loaded as an operator would (the file as .env, the mode in the environment): no problem.
    settings = Settings.load(environ={"PAYMENT_MODE": "real"}, env_file=env_file)
    assert settings.keys.connection.key == generated["PAYMENT_CONNECTION_ENCRYPTION_KEY"]
    assert settings.keys.idempotency.iv == generated["PAYMENT_IDEMPOTENCY_ENCRYPTION_IV"]
    assert settings.webhooks.signing_secrets == (generated["PAYMENT_WEBHOOK_SIGNING_SECRET"],)
    fingerprint_key = generated["PAYMENT_IDEMPOTENCY_FINGERPRINT_KEY"]
    assert settings.fingerprint_secret == fingerprint_key.encode()
    # And `settings` agrees: exit 0, every key from .env, hidden.
    (tmp_path / ".env").write_text(first.stdout)
    checked = run_cli("settings", env={"PAYMENT_MODE": "real"}, cwd=tmp_path)
    assert checked.status == 0, checked.stderr
    values = shown(checked.stdout)
    assert all(values[name] == ("***", ".env") for name in generated)

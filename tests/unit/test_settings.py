"""Configuration: defaults, validation that names every bad variable, production refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from payment_service.settings import PUBLISHED_KEYS, Settings, SettingsError
from tests.secret_keys import secret_keys_env

TABLES = list(PUBLISHED_KEYS)


def load(env: dict[str, str], env_file: Path | None = None) -> Settings:
    return Settings.load(environ=env, env_file=env_file)


def secret_env() -> dict[str, str]:
    return secret_keys_env()


def test_local_mode_runs_on_published_defaults_and_sqlite_in_the_working_directory():
    settings = load({})
    assert settings.mode == "local"
    assert settings.keys.connection.key == "MCKOxv9B23r7EatArCFcBP03nfaS03T8"
    assert settings.keys.connection.iv == "9haeYD1tIf4v8xs7"
    assert settings.database_url == f"sqlite:///{Path.cwd() / 'payment-service.sqlite3'}"
    assert settings.port == 37821


@pytest.mark.parametrize("mode", ["dev", "real"])
def test_production_modes_name_every_missing_key(mode):
    with pytest.raises(SettingsError) as caught:
        load({"PAYMENT_MODE": mode})
    problems = caught.value.problems
    for table in TABLES:
        assert f"PAYMENT_{table}_ENCRYPTION_KEY: required in {mode} mode" in problems
        assert f"PAYMENT_{table}_ENCRYPTION_IV: required in {mode} mode" in problems


def test_real_mode_refuses_a_published_default_key():
    env = secret_env() | {
        "PAYMENT_MODE": "real",
        "PAYMENT_CONNECTION_ENCRYPTION_KEY": "MCKOxv9B23r7EatArCFcBP03nfaS03T8",
    }
    with pytest.raises(SettingsError) as caught:
        load(env)
    assert caught.value.problems == [
        "PAYMENT_CONNECTION_ENCRYPTION_KEY: is a published default value; "
        "real mode needs a secret one"
    ]


def test_real_mode_starts_with_secret_keys():
    settings = load(secret_env() | {"PAYMENT_MODE": "real"})
    assert settings.keys.history.key == secret_env()["PAYMENT_HISTORY_ENCRYPTION_KEY"]
    assert not settings.internal_webhook_enabled


def test_key_and_iv_lengths_are_checked():
    with pytest.raises(SettingsError) as caught:
        load(
            {"PAYMENT_HISTORY_ENCRYPTION_KEY": "x" * 20, "PAYMENT_HISTORY_ENCRYPTION_IV": "y" * 15}
        )
    assert caught.value.problems == [
        "PAYMENT_HISTORY_ENCRYPTION_KEY: must be 16, 24 or 32 characters long (got 20)",
        "PAYMENT_HISTORY_ENCRYPTION_IV: must be 16 characters long (got 15)",
    ]


def test_every_invalid_variable_is_reported_at_once():
    with pytest.raises(SettingsError) as caught:
        load(
            {
                "PAYMENT_MODE": "prod",
                "PAYMENT_API_PORT": "http",
                "PAYMENT_WEBHOOK_WORKERS": "0",
                "PAYMENT_WEBHOOK_TIMEOUT_S": "-1",
                "PAYMENT_LOAD_PLUGINS": "maybe",
                "PAYMENT_VENDORS": "[1]",
            }
        )
    message = str(caught.value)
    for name in [
        "PAYMENT_MODE",
        "PAYMENT_API_PORT",
        "PAYMENT_WEBHOOK_WORKERS",
        "PAYMENT_WEBHOOK_TIMEOUT_S",
        "PAYMENT_LOAD_PLUGINS",
        "PAYMENT_VENDORS",
    ]:
        assert f"  - {name}:" in message
    assert len(caught.value.problems) == 6


def test_dotenv_file_is_read_and_real_environment_wins(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("PAYMENT_API_PORT=40000\nPAYMENT_WORKERS=3\n")
    settings = load({"PAYMENT_WORKERS": "5"}, env_file=env_file)
    assert settings.port == 40000
    assert settings.workers == 5


def test_vendor_options_are_parsed_from_json():
    settings = load({"PAYMENT_VENDORS": '{"iamport": {"base_url": "http://x"}}'})
    assert settings.vendors == {"iamport": {"base_url": "http://x"}}


def test_database_schema_and_read_only_role():
    settings = load({})
    assert (settings.database_schema, settings.database_readonly_user) == ("public", None)
    settings = load(
        {
            "PAYMENT_DATABASE_SCHEMA": "payments",
            "PAYMENT_DATABASE_READONLY_USER": "reader",
            "PAYMENT_DATABASE_READONLY_PASSWORD": "pa55word",
        }
    )
    assert settings.database_schema == "payments"
    assert (settings.database_readonly_user, settings.database_readonly_password) == (
        "reader",
        "pa55word",
    )
    assert "pa55word" not in repr(settings)


def test_database_names_must_be_plain_identifiers_and_the_reader_needs_a_password():
    with pytest.raises(SettingsError) as caught:
        load({"PAYMENT_DATABASE_SCHEMA": 'x"; DROP', "PAYMENT_DATABASE_READONLY_USER": "Reader"})
    problems = caught.value.problems
    assert any(p.startswith("PAYMENT_DATABASE_SCHEMA: must be 1-63 lowercase") for p in problems)
    assert any(p.startswith("PAYMENT_DATABASE_READONLY_USER: must be") for p in problems)
    assert (
        "PAYMENT_DATABASE_READONLY_PASSWORD: required with PAYMENT_DATABASE_READONLY_USER"
        in problems
    )


def test_database_timeout_defaults_to_ten_seconds_and_must_be_positive():
    assert load({}).database_timeout_s == 10.0
    assert load({"PAYMENT_DATABASE_TIMEOUT_S": "2.5"}).database_timeout_s == 2.5
    with pytest.raises(SettingsError) as caught:
        load({"PAYMENT_DATABASE_TIMEOUT_S": "0"})
    assert "PAYMENT_DATABASE_TIMEOUT_S" in str(caught.value)

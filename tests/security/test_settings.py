"""The password-check variables: defaults, parsing, and every bad value named at once."""

from __future__ import annotations

import ipaddress

import pytest

from payment_service.settings import Settings, SettingsError
from payment_service.settings.keys import generated_keys
from tests.secret_keys import secret_keys_env


def load(env: dict[str, str]) -> Settings:
    return Settings.load(environ=env, env_file=None)


def test_defaults():
    settings = load({})
    assert settings.password_cache_s == 600
    assert settings.password_cache_entries == 10_000
    assert (settings.auth_failures_max, settings.auth_failures_window_s) == (20, 60)
    assert settings.trusted_proxies == ()


def test_values_are_read_and_zero_turns_the_cache_and_the_throttle_off():
    settings = load(
        {
            "PAYMENT_PASSWORD_CACHE_S": "0",
            "PAYMENT_PASSWORD_CACHE_ENTRIES": "50",
            "PAYMENT_AUTH_FAILURES_MAX": "0",
            "PAYMENT_AUTH_FAILURES_WINDOW_S": "300",
            "PAYMENT_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8 fd00::/8",
        }
    )
    assert settings.password_cache_s == 0
    assert settings.password_cache_entries == 50
    assert (settings.auth_failures_max, settings.auth_failures_window_s) == (0, 300)
    assert settings.trusted_proxies == tuple(
        ipaddress.ip_network(n) for n in ("127.0.0.1/32", "10.0.0.0/8", "fd00::/8")
    )


def test_bad_values_are_all_reported():
    with pytest.raises(SettingsError) as caught:
        load(
            {
                "PAYMENT_PASSWORD_CACHE_S": "-1",
                "PAYMENT_PASSWORD_CACHE_ENTRIES": "0",
                "PAYMENT_AUTH_FAILURES_MAX": "many",
                "PAYMENT_AUTH_FAILURES_WINDOW_S": "0",
                "PAYMENT_TRUSTED_PROXIES": "10.0.0.0/8, proxy.internal",
            }
        )
    message = str(caught.value)
    assert "PAYMENT_PASSWORD_CACHE_S: must be zero or more (got -1.0)" in message
    assert "PAYMENT_PASSWORD_CACHE_ENTRIES: must be at least 1 (got 0)" in message
    assert "PAYMENT_AUTH_FAILURES_MAX: must be a whole number (got 'many')" in message
    assert "PAYMENT_AUTH_FAILURES_WINDOW_S: must be greater than 0 (got 0.0)" in message
    assert "PAYMENT_TRUSTED_PROXIES: 'proxy.internal' is not an IP address or CIDR block" in message


# --- the idempotency fingerprint key (issue 24 item 2) -----------------------------------------

FINGERPRINT = "PAYMENT_IDEMPOTENCY_FINGERPRINT_KEY"


def test_real_mode_requires_a_fingerprint_key_and_keys_generate_makes_one():
    env = secret_keys_env() | {"PAYMENT_MODE": "real"}
    del env[FINGERPRINT]
    with pytest.raises(SettingsError) as caught:
        load(env)
    assert f"{FINGERPRINT}: required in real mode" in caught.value.problems
    generated = generated_keys()
    settings = load(generated | {"PAYMENT_MODE": "real"})
    assert settings.fingerprint_secret == generated[FINGERPRINT].encode()


@pytest.mark.parametrize("value", ["short", "a" * 40])
def test_a_short_or_weak_fingerprint_key_is_refused_in_real_mode(value):
    env = secret_keys_env() | {"PAYMENT_MODE": "real", FINGERPRINT: value}
    with pytest.raises(SettingsError) as caught:
        load(env)
    assert [p for p in caught.value.problems if p.startswith(FINGERPRINT)]


def test_local_and_dev_derive_the_fingerprint_key_from_the_idempotency_key():
    local = load({})
    assert len(local.fingerprint_secret) == 32
    env = secret_keys_env() | {"PAYMENT_MODE": "dev"}
    given = env.pop(FINGERPRINT)
    dev = load(env)
    assert dev.fingerprint_secret not in (local.fingerprint_secret, b"")
    assert dev.fingerprint_secret != dev.keys.idempotency.key.encode()
    assert given not in repr(load(secret_keys_env()))  # a secret: never shown

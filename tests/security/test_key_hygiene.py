"""Real-mode key hygiene: weak or reused keys and IVs are refused, every problem named at once."""

from __future__ import annotations

import pytest

from payment_service.key_hygiene import key_problems, weakness
from payment_service.settings import Settings, SettingsError
from tests.secret_keys import secret_keys_env, secret_value


@pytest.mark.parametrize(
    "value",
    [
        "a" * 32,
        "0" * 16,
        "ab" * 16,
        "abcdabcdabcdabcd",
        "aaaaaaaaaaaaaaab" * 2,
        "0123456789abcdefghijklmnopqrstuv",
        "ABCDEFGHIJKLMNOP",
    ],
)
def test_weak_values_are_named(value):
    assert weakness(value) is not None


@pytest.mark.parametrize("length", [16, 24, 32])
def test_random_values_pass(length):
    for seed in range(50):
        assert weakness(secret_value(str(seed), length)) is None


def test_reuse_is_reported_once_per_shared_value_naming_every_holder():
    problems = key_problems(
        {
            "A_KEY": secret_value("s", 32),
            "B_KEY": secret_value("s", 32),
            "C_IV": secret_value("t", 16),
        }
    )
    assert problems == [
        "A_KEY and B_KEY: the same value is used more than once; each key and IV must be its own "
        "secret"
    ]


def test_real_mode_refuses_one_key_for_all_tables_naming_every_problem():
    env = secret_keys_env() | {"PAYMENT_MODE": "real"}
    shared = secret_value("shared", 32)
    for name in list(env):
        if name.endswith("_KEY"):
            env[name] = shared
    env["PAYMENT_WEBHOOK_ENCRYPTION_IV"] = "b" * 16
    with pytest.raises(SettingsError) as caught:
        Settings.load(environ=env, env_file=None)
    problems = caught.value.problems
    assert "PAYMENT_WEBHOOK_ENCRYPTION_IV: is a single repeated character" in problems
    [reuse] = [p for p in problems if "more than once" in p]
    for table in ("CONNECTION", "HISTORY", "RESERVATION", "CANCEL_HISTORY", "WEBHOOK"):
        assert f"PAYMENT_{table}_ENCRYPTION_KEY" in reuse


def test_real_mode_starts_with_strong_distinct_keys_and_dev_mode_is_not_checked():
    assert Settings.load(environ=secret_keys_env() | {"PAYMENT_MODE": "real"}, env_file=None)
    weak = {name: (value[0] * len(value)) for name, value in secret_keys_env().items()}
    # dev mode keeps today's rules (secret, not published); only real mode is this strict.
    weak_distinct = {n: v[:-1] + chr(65 + i) for i, (n, v) in enumerate(weak.items())}
    Settings.load(environ=weak_distinct | {"PAYMENT_MODE": "dev"}, env_file=None)

"""Real-mode key hygiene: weak or reused keys and IVs are refused, every problem named at once."""

from __future__ import annotations

import base64
import json

import pytest
from payment_service_client.webhooks import generate_webhook_secret

from payment_service.key_hygiene import key_problems, weakness
from payment_service.settings import Settings, SettingsError
from payment_service.settings.keys import generated_keys
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


# -- every key and secret `real` mode loads (issue 24 item 7) ---------------------------------


def real_problems(**changes: str) -> list[str]:
    env = secret_keys_env() | {"PAYMENT_MODE": "real", **changes}
    with pytest.raises(SettingsError) as caught:
        Settings.load(environ=env, env_file=None)
    return caught.value.problems


def previous(*pairs: tuple[str, str]) -> str:
    return json.dumps([{"key": key, "iv": iv} for key, iv in pairs])


STRONG_KEY, STRONG_IV = secret_value("old", 32), secret_value("old", 16)


@pytest.mark.parametrize(
    ("pair", "label"),
    [
        (("ab" * 16, STRONG_IV), "PAYMENT_HISTORY_PREVIOUS_KEYS[0].key"),
        ((STRONG_KEY, "0123456789abcdef"), "PAYMENT_HISTORY_PREVIOUS_KEYS[0].iv"),
        (("a" * 32, STRONG_IV), "PAYMENT_HISTORY_PREVIOUS_KEYS[0].key"),
    ],
)
def test_a_weak_previous_key_or_iv_is_refused(pair, label):
    problems = real_problems(PAYMENT_HISTORY_PREVIOUS_KEYS=previous(pair))
    assert any(problem.startswith(f"{label}: ") for problem in problems), problems
    assert not any(value in " ".join(problems) for value in pair)  # never echoed


def test_a_previous_key_equal_to_another_tables_key_is_refused():
    env = secret_keys_env()
    other = env["PAYMENT_RESERVATION_ENCRYPTION_KEY"]
    problems = real_problems(PAYMENT_HISTORY_PREVIOUS_KEYS=previous((other, STRONG_IV)))
    [reuse] = [p for p in problems if "more than once" in p]
    assert "PAYMENT_RESERVATION_ENCRYPTION_KEY" in reuse
    assert "PAYMENT_HISTORY_PREVIOUS_KEYS[0].key" in reuse
    assert other not in " ".join(problems)


def test_previous_keys_of_two_tables_must_differ():
    problems = real_problems(
        PAYMENT_HISTORY_PREVIOUS_KEYS=previous((STRONG_KEY, STRONG_IV)),
        PAYMENT_CONNECTION_PREVIOUS_KEYS=previous((STRONG_KEY, secret_value("o2", 16))),
    )
    assert any(
        "PAYMENT_HISTORY_PREVIOUS_KEYS[0].key" in p and "PAYMENT_CONNECTION_PREVIOUS_KEYS" in p
        for p in problems
    ), problems


@pytest.mark.parametrize(
    "secret",
    [
        "x",
        "whsec_eA==",  # one byte
        "whsec_" + base64.b64encode(b"\0" * 32).decode(),
        "a" * 40,
        "abcdefghijklmnopqrstuvwxyzabcdef",
        "ab" * 20,
    ],
)
def test_real_mode_refuses_a_weak_webhook_signing_secret(secret):
    problems = real_problems(PAYMENT_WEBHOOK_SIGNING_SECRET=f"{generate_webhook_secret()} {secret}")
    found = [p for p in problems if p.startswith("PAYMENT_WEBHOOK_SIGNING_SECRET:")]
    assert found and all("secret #2" in problem for problem in found)
    assert secret.removeprefix("whsec_") not in " ".join(found)


def test_real_mode_refuses_the_same_signing_secret_twice():
    secret = generate_webhook_secret()
    [problem] = real_problems(PAYMENT_WEBHOOK_SIGNING_SECRET=f"{secret} {secret}")
    assert "secret #2: repeats an earlier secret" in problem


def test_real_mode_accepts_strong_previous_keys_and_secrets_and_dev_does_not_judge_them():
    env = secret_keys_env() | {
        "PAYMENT_HISTORY_PREVIOUS_KEYS": previous((STRONG_KEY, STRONG_IV)),
        "PAYMENT_WEBHOOK_SIGNING_SECRET": f"{generate_webhook_secret()} {secret_value('s', 32)}",
    }
    settings = Settings.load(environ=env | {"PAYMENT_MODE": "real"}, env_file=None)
    assert len(settings.webhooks.signing_secrets) == 2
    weak = env | {"PAYMENT_WEBHOOK_SIGNING_SECRET": "x"}
    weak["PAYMENT_HISTORY_PREVIOUS_KEYS"] = previous(("ab" * 16, STRONG_IV))
    Settings.load(environ=weak | {"PAYMENT_MODE": "dev"}, env_file=None)


def test_keys_generate_makes_values_real_mode_accepts():
    env = {**generated_keys(), "PAYMENT_MODE": "real"}
    Settings.load(environ=env, env_file=None)

"""Settings of a key rotation: previous pairs checked like current ones, several signing
secrets, and every problem named at once."""

from __future__ import annotations

import json

import pytest

from payment_service.settings import PUBLISHED_KEYS, Settings, SettingsError
from tests.support.secrets import secret_pairs

SECRET_PAIRS = secret_pairs(PUBLISHED_KEYS, seed="settings-rotation")
OLD_PAIR = {"key": "p2mr2lusaL841EAuFdOTa7AWPZvb7AHU", "iv": "Yh3Kt8Wq1Zv6Rm4X"}
OLDER_PAIR = {"key": "lDlCEARDnzpYk7QSAgGpvDct", "iv": "Jm5Rz1Xq8Wt3Kv6B"}  # AES-192


def secret_env(mode: str = "real") -> dict[str, str]:
    env = {"PAYMENT_MODE": mode}
    for table, (key, iv) in SECRET_PAIRS.items():
        env[f"PAYMENT_{table}_ENCRYPTION_KEY"] = key
        env[f"PAYMENT_{table}_ENCRYPTION_IV"] = iv
    env["PAYMENT_IDEMPOTENCY_FINGERPRINT_KEY"] = "Zq8vN3kR7tW1yB5mC9xL2pJ6hF4dG0sAeUiOo"
    return env


def problems(env: dict[str, str]) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        Settings.load(environ=env, env_file=None)
    return caught.value.problems


@pytest.mark.parametrize("table", list(PUBLISHED_KEYS))
def test_previous_pairs_are_read_for_every_keyring(table):
    env = secret_env() | {f"PAYMENT_{table}_PREVIOUS_KEYS": json.dumps([OLD_PAIR, OLDER_PAIR])}

    settings = Settings.load(environ=env, env_file=None)

    keyring = getattr(settings.keys, table.lower())
    assert (keyring.key, keyring.iv) == SECRET_PAIRS[table]
    assert [(c.key, c.iv) for c in keyring.previous] == [
        (OLD_PAIR["key"], OLD_PAIR["iv"]),
        (OLDER_PAIR["key"], OLDER_PAIR["iv"]),
    ]


def test_no_previous_pairs_by_default():
    settings = Settings.load(environ=secret_env(), env_file=None)
    assert all(getattr(settings.keys, t.lower()).previous == () for t in PUBLISHED_KEYS)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("not json", ': must be a JSON list of {"key": ..., "iv": ...}'),
        ('{"key": "x", "iv": "y"}', ': must be a JSON list of {"key": ..., "iv": ...}'),
        ('["k"]', '[0]: must be an object with exactly "key" and "iv"'),
        ('[{"key": "Ok4Zr9Tx2Lq7Vm1B"}]', '[0]: must be an object with exactly "key" and "iv"'),
        ('[{"key": 1, "iv": 2}]', "[0]: key and iv must be strings"),
    ],
)
def test_a_malformed_list_is_named(raw, problem):
    env = secret_env() | {"PAYMENT_CONNECTION_PREVIOUS_KEYS": raw}
    assert problems(env) == [f"PAYMENT_CONNECTION_PREVIOUS_KEYS{problem}"]


def test_every_bad_previous_pair_is_named_at_once_without_showing_the_secret():
    history_key, history_iv = SECRET_PAIRS["HISTORY"]
    published_key, published_iv = PUBLISHED_KEYS["RESERVATION"]
    env = secret_env() | {
        "PAYMENT_HISTORY_PREVIOUS_KEYS": json.dumps(
            [
                {"key": "short-key", "iv": "Yh3Kt8Wq1Zv6Rm4X"},
                {"key": OLD_PAIR["key"], "iv": "한국어한국어한국어한국어한국어한국"},
                {"key": history_key, "iv": history_iv},
                OLD_PAIR,
                OLD_PAIR,
            ]
        ),
        "PAYMENT_RESERVATION_PREVIOUS_KEYS": json.dumps(
            [{"key": published_key, "iv": published_iv}, {"key": "A" * 16, "iv": "A" * 16}]
        ),
        "PAYMENT_API_PORT": "http",
    }

    found = problems(env)

    assert found == [
        "PAYMENT_API_PORT: must be a port number (got 'http')",
        "PAYMENT_HISTORY_PREVIOUS_KEYS[0].key: must be 16, 24 or 32 characters long (got 9)",
        "PAYMENT_HISTORY_PREVIOUS_KEYS[1].iv: must be ASCII",
        "PAYMENT_HISTORY_PREVIOUS_KEYS[2]: repeats the current pair or an earlier previous one",
        "PAYMENT_HISTORY_PREVIOUS_KEYS[4]: repeats the current pair or an earlier previous one",
        "PAYMENT_RESERVATION_PREVIOUS_KEYS[0].key: is a published default value; "
        "real mode needs a secret one",
        "PAYMENT_RESERVATION_PREVIOUS_KEYS[0].iv: is a published default value; "
        "real mode needs a secret one",
        "PAYMENT_RESERVATION_PREVIOUS_KEYS[1]: key and iv must differ",
    ]
    assert not any(OLD_PAIR["key"] in line or history_key in line for line in found)


@pytest.mark.parametrize("mode", ["dev", "real"])
def test_production_modes_refuse_a_published_previous_pair(mode):
    key, iv = PUBLISHED_KEYS["CONNECTION"]
    env = secret_env(mode) | {
        "PAYMENT_CONNECTION_PREVIOUS_KEYS": json.dumps([{"key": key, "iv": iv}])
    }
    assert problems(env) == [
        f"PAYMENT_CONNECTION_PREVIOUS_KEYS[0].key: is a published default value; "
        f"{mode} mode needs a secret one",
        f"PAYMENT_CONNECTION_PREVIOUS_KEYS[0].iv: is a published default value; "
        f"{mode} mode needs a secret one",
    ]


def test_local_mode_may_rotate_away_from_the_published_pair():
    key, iv = PUBLISHED_KEYS["CONNECTION"]
    env = {
        "PAYMENT_CONNECTION_ENCRYPTION_KEY": SECRET_PAIRS["CONNECTION"][0],
        "PAYMENT_CONNECTION_ENCRYPTION_IV": SECRET_PAIRS["CONNECTION"][1],
        "PAYMENT_CONNECTION_PREVIOUS_KEYS": json.dumps([{"key": key, "iv": iv}]),
    }
    settings = Settings.load(environ=env, env_file=None)
    assert [(c.key, c.iv) for c in settings.keys.connection.previous] == [(key, iv)]


def test_several_signing_secrets_are_separated_by_spaces():
    # (dev mode: real mode also judges each secret's strength, tests/security/test_key_hygiene)
    env = secret_env("dev") | {
        "PAYMENT_WEBHOOK_SIGNING_SECRET": " whsec_bmV3LXNlY3JldA==  old-one "
    }
    settings = Settings.load(environ=env, env_file=None)
    assert settings.webhooks.signing_secrets == ("whsec_bmV3LXNlY3JldA==", "old-one")


def test_no_signing_secret_means_no_signature():
    settings = Settings.load(environ=secret_env(), env_file=None)
    assert settings.webhooks.signing_secrets == ()


def test_a_bad_signing_secret_is_named_by_position_without_showing_it():
    env = secret_env("dev") | {"PAYMENT_WEBHOOK_SIGNING_SECRET": "whsec_bmV3 whsec_%%%"}
    assert problems(env) == [
        "PAYMENT_WEBHOOK_SIGNING_SECRET: secret #2: "
        "a whsec_ webhook secret must be base64 after the prefix"
    ]

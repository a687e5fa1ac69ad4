"""Keyrings: the current pair encrypts, every configured pair decrypts; the at-rest envelope."""

from __future__ import annotations

import base64
import json
import random

import pytest
from Crypto.Cipher import AES
from Crypto.Util.Padding import unpad

from payment_service import key_usage
from payment_service.crypto import Cipher, DecryptionError, _lenient_b64decode
from payment_service.keyrings import ENVELOPE_PREFIX, AtRestKeyring, WireKeyring, key_id

OLD = Cipher("MTlsOESZ6geZTjeaubOdR71tobe0KqE7", "7BqAGp1HPY9Ox66w")
NEW = Cipher("k2P9xR4vN7mQ1zT6bW3yH8cJ5fL0gD2s", "Zr8Kq3Vm6Tb1Nw4X")
OTHER = Cipher("aU3y0PTXraB2SEYj1ACwtTYKxiYBvH4g", "fro2JXImhmbDtDNx")
VALUE = {"paymentKey": "pk_1", "totalAmount": 20000, "method": "카드"}


def test_new_at_rest_ciphertext_is_a_marked_envelope_that_is_never_base64():
    sealed = AtRestKeyring("history", NEW).encrypt_json(VALUE)

    assert sealed.startswith(ENVELOPE_PREFIX)
    prefix, kid, body, tag = sealed[1:].split("$")
    assert (prefix, kid) == ("ps1", key_id(NEW))
    assert NEW.decrypt_json(body) == VALUE  # the AES part is the original's format
    assert len(tag) == 22
    # Neither the original's decoder nor ours (which is lenient) takes it for ciphertext.
    with pytest.raises(ValueError):
        base64.b64decode(sealed, validate=True)
    with pytest.raises(ValueError):
        _lenient_b64decode(sealed)
    with pytest.raises(DecryptionError):
        NEW.decrypt(sealed)


def test_unmarked_ciphertext_of_the_original_is_read_with_any_configured_pair():
    keyring = AtRestKeyring("history", NEW, (OLD,))

    assert keyring.decrypt_json(OLD.encrypt_json(VALUE)) == VALUE
    assert keyring.decrypt_json(NEW.encrypt_json(VALUE)) == VALUE
    assert keyring.open(OLD.encrypt_json(VALUE))[1].name == "previous-1"
    with pytest.raises(DecryptionError):
        keyring.decrypt_json(OTHER.encrypt_json(VALUE))


def test_a_marked_value_is_opened_by_the_generation_it_names():
    sealed_old = AtRestKeyring("history", OLD).encrypt_json(VALUE)
    keyring = AtRestKeyring("history", NEW, (OTHER, OLD))

    value, generation = keyring.open(sealed_old)

    assert value == VALUE
    assert (generation.name, generation.id) == ("previous-2", key_id(OLD))
    assert not keyring.is_current(sealed_old)
    assert keyring.is_current(keyring.encrypt_json(VALUE))


def test_the_key_id_follows_the_pair_not_its_position():
    assert key_id(OLD) == AtRestKeyring("t", NEW, (OLD,)).generations[1].id
    assert key_id(OLD) == AtRestKeyring("t", OLD).generations[0].id
    assert key_id(OLD) != key_id(Cipher(OLD.key, NEW.iv))
    assert OLD.key not in key_id(OLD)


def test_rewrap_moves_old_values_to_the_current_pair_and_leaves_current_ones():
    keyring = AtRestKeyring("history", NEW, (OLD,))
    for old in (OLD.encrypt_json(VALUE), AtRestKeyring("history", OLD).encrypt_json(VALUE)):
        rewrapped = keyring.rewrap(old)
        assert rewrapped is not None and keyring.is_current(rewrapped)
        assert AtRestKeyring("history", NEW).decrypt_json(rewrapped) == VALUE
        assert keyring.rewrap(rewrapped) is None
    with pytest.raises(DecryptionError):
        keyring.rewrap(OTHER.encrypt_json(VALUE))


@pytest.mark.parametrize(
    "tamper",
    [
        lambda s: s[:-1] + ("A" if s[-1] != "A" else "B"),  # the tag
        lambda s: s.replace("$", "$x", 2).replace("$x", "$", 1),  # the key id
        lambda s: s[: s.index("$", 10) + 1] + "B" + s[s.index("$", 10) + 2 :],  # the ciphertext
        lambda s: s.rpartition("$")[0],  # no tag
        lambda s: s + "é",  # not ASCII
    ],
    ids=["tag", "key-id", "ciphertext", "no-tag", "non-ascii"],
)
def test_a_tampered_envelope_is_refused_before_decryption(tamper):
    keyring = AtRestKeyring("history", NEW, (OLD,))
    sealed = keyring.encrypt_json(VALUE)
    tampered = tamper(sealed)
    assert tampered != sealed

    with pytest.raises(DecryptionError):
        keyring.decrypt_json(tampered)
    assert not keyring.is_current(tampered)


def test_an_envelope_of_another_tables_key_is_refused():
    sealed = AtRestKeyring("webhook", OTHER).encrypt_json(VALUE)
    with pytest.raises(DecryptionError):
        AtRestKeyring("history", NEW, (OLD,)).decrypt_json(sealed)


def test_the_wire_keyring_tells_which_pair_decrypted():
    keyring = WireKeyring("connection", NEW, (OLD,))

    assert keyring.open(OLD.encrypt('{"a":1}')) == ({"a": 1}, OLD)
    assert keyring.open(NEW.encrypt('{"a":1}')) == ({"a": 1}, NEW)
    assert keyring.encrypt("x") == NEW.encrypt("x")
    assert (keyring.key, keyring.iv) == (NEW.key, NEW.iv)
    for body in (OTHER.encrypt('{"a":1}'), OLD.encrypt("not json"), "", "AAAA"):
        with pytest.raises(DecryptionError):
            keyring.open(body)


def test_a_wrong_pair_whose_padding_happens_to_check_out_is_not_taken():
    """With CBC/PKCS#7 about 1 wrong key in 256 'unpads' a ciphertext: only JSON counts."""
    rng = random.Random(18)
    for _ in range(20000):
        text = OLD.encrypt(json.dumps({"n": rng.random()}))
        try:
            raw = AES.new(NEW.key.encode(), AES.MODE_CBC, NEW.iv.encode())
            unpad(raw.decrypt(base64.b64decode(text)), 16)
        except ValueError:
            continue
        break
    else:  # pragma: no cover - 20000 tries at 1/256 each
        pytest.fail("found no ciphertext that unpads under the wrong key")

    value, cipher = WireKeyring("connection", NEW, (OLD,)).open(text)

    assert cipher == OLD
    assert set(value) == {"n"}


def test_decryptions_are_counted_per_keyring_and_generation():
    seen: list[tuple[str, str]] = []

    def listener(keyring: str, generation: str) -> None:
        seen.append((keyring, generation))

    key_usage.add_listener(listener)
    before = key_usage.counts()
    try:
        wire = WireKeyring("connection-test", NEW, (OLD,))
        wire.open(OLD.encrypt("{}"))
        wire.open(OLD.encrypt("{}"))
        wire.open(NEW.encrypt("{}"))
        AtRestKeyring("history-test", NEW, (OLD,)).decrypt_json(OLD.encrypt("{}"))
    finally:
        key_usage.remove_listener(listener)
    after = key_usage.counts()

    def delta(label):
        return after.get(label, 0) - before.get(label, 0)

    assert delta(("connection-test", "previous-1")) == 2
    assert delta(("connection-test", "current")) == 1
    assert delta(("history-test", "previous-1")) == 1
    assert seen == [
        ("connection-test", "previous-1"),
        ("connection-test", "previous-1"),
        ("connection-test", "current"),
        ("history-test", "previous-1"),
    ]


def test_a_previous_key_in_use_is_logged_at_most_once_a_minute(caplog):
    wire = WireKeyring("connection-log-test", NEW, (OLD,))
    with caplog.at_level("WARNING", logger="payment_service.keys"):
        for _ in range(3):
            wire.open(OLD.encrypt("{}"))
        wire.open(NEW.encrypt("{}"))
    lines = [r.getMessage() for r in caplog.records if "connection-log-test" in r.getMessage()]
    assert lines == [
        f"connection-log-test key previous-1 (id {key_id(OLD)}) is still in use: "
        "1 decryption(s) by this process so far"
    ]


def test_keyrings_never_show_their_keys():
    text = repr(WireKeyring("connection", NEW, (OLD,)))
    assert NEW.key not in text and OLD.key not in text
    assert key_id(OLD) in text


def test_the_text_api_seals_and_rewrap_keeps_the_plaintext_byte_for_byte():
    text = '{"amount":1.50,"b":[1.0]}'  # would change if parsed and written again
    keyring = AtRestKeyring("idempotency", NEW, (OLD,))

    assert keyring.decrypt(keyring.encrypt(text)) == text
    assert keyring.decrypt(OLD.encrypt(text)) == text
    rewrapped = keyring.rewrap(OLD.encrypt(text))
    assert rewrapped is not None and keyring.is_current(rewrapped)
    assert AtRestKeyring("idempotency", NEW).decrypt(rewrapped) == text

"""The cipher against every test vector of docs/payment-api.md §1.5, and record-password hashing."""

from __future__ import annotations

import pytest

from payment_service.crypto import (
    Cipher,
    DecryptionError,
    check_password,
    dumps,
    hash_password,
    loads,
)

DEFAULT_KEY, DEFAULT_IV = "MCKOxv9B23r7EatArCFcBP03nfaS03T8", "9haeYD1tIf4v8xs7"

VECTORS = [
    ("V1", DEFAULT_KEY, DEFAULT_IV, "{}", "CLV48gAaXSHTObg27u/HPQ=="),
    (
        "V2",
        DEFAULT_KEY,
        DEFAULT_IV,
        '{"password":"some-password"}',
        "/Lu96CDAgYv09JxV0IsOQy8H7LuG9o4QJ29eZjgYjeI=",
    ),
    (
        "V3",
        DEFAULT_KEY,
        DEFAULT_IV,
        '{"bank":"신한은행","holder":"홍길동"}',
        "yePMlMbjfbOcgxPNCO+1PMUYRSYtnQ0QJBB2AV5ZPpLpUS6AkTuAnzWMb0qALiGV",
    ),
    (
        "V4",
        DEFAULT_KEY,
        DEFAULT_IV,
        '{"schema":"some-schema","table":"some-table",'
        '"id":"9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d","password":"some-password"}',
        "YkffC/JtLn7rdJ9fHeffgvtpYdei1hlU+IlrjIYuYGAlbDx+eWG8j5PHMqoVeG/KqQa1M/KsJItpIBRbYFQ/"
        "ox3ny2a8P/WF3ycaiSX65uUBDJpK4NaV6uRbCw2pNa5jBGZnBt/ePrNeMFZ/Q9lfhQ4zEd26NIIL3HENov725bY=",
    ),
    ("V5", DEFAULT_KEY, DEFAULT_IV, "", "bp8N4w+BzXeMbfWPDJIguQ=="),
    (
        "V6",
        "0123456789abcdef",
        DEFAULT_IV,
        '{"password":"some-password"}',
        "Pu6/EYH11yXtmMathvVn5M9A38rOgvBSa7DS4PxXzyQ=",
    ),
    ("V7", "0123456789abcdef01234567", DEFAULT_IV, '{"a":1}', "I9zR1KvjSjyR1C0beLA18Q=="),
    (
        "D1",
        "MTlsOESZ6geZTjeaubOdR71tobe0KqE7",
        "7BqAGp1HPY9Ox66w",
        '{"imp_uid":"imp_123","amount":20000}',
        "23QjPf6xNmXt4T2notl8WJnsjTYnYvmd3ZLi31qmWxp5Va24QRJ2a1bJx080JbMf",
    ),
    (
        "D2",
        "0OrB5XVgkYpoybWeGIUkattMb4lTLQgz",
        "ESgYCYV10Iy6qd1y",
        '{"billingKey":"bk","customerKey":"ck"}',
        "8tUl+Dvv1cYxBbktLHfgj2Zf8TIOCOav/aFvU1vZrumXm1Q98cqOxJoWJDNNp3Tz",
    ),
    (
        "D3",
        "aU3y0PTXraB2SEYj1ACwtTYKxiYBvH4g",
        "fro2JXImhmbDtDNx",
        '{"cancelAmount":4000}',
        "hu/WQaRf/Pf9PPY3uu0nKNEEfSXbwLVFo2ZykEHyrSE=",
    ),
]


@pytest.mark.parametrize(
    ("name", "key", "iv", "plain", "cipher"), VECTORS, ids=[v[0] for v in VECTORS]
)
def test_vector_encrypts_to_the_published_ciphertext(name, key, iv, plain, cipher):
    assert Cipher(key, iv).encrypt(plain) == cipher


@pytest.mark.parametrize(
    ("name", "key", "iv", "plain", "cipher"), VECTORS, ids=[v[0] for v in VECTORS]
)
def test_vector_decrypts_to_the_plaintext(name, key, iv, plain, cipher):
    assert Cipher(key, iv).decrypt(cipher) == plain


@pytest.mark.parametrize(
    ("name", "key", "iv", "plain", "cipher"), VECTORS, ids=[v[0] for v in VECTORS]
)
def test_dumps_reproduces_the_vector_json(name, key, iv, plain, cipher):
    if plain:
        assert dumps(loads(plain)) == plain


def test_decoder_accepts_missing_padding_whitespace_and_url_safe_letters():
    cipher = Cipher(DEFAULT_KEY, DEFAULT_IV)
    v2 = "/Lu96CDAgYv09JxV0IsOQy8H7LuG9o4QJ29eZjgYjeI="
    assert cipher.decrypt(v2.rstrip("=")) == '{"password":"some-password"}'
    assert cipher.decrypt(v2[:10] + "\n" + v2[10:]) == '{"password":"some-password"}'
    assert cipher.decrypt(v2.replace("/", "_")) == '{"password":"some-password"}'


@pytest.mark.parametrize(
    "garbage",
    ["", "!!!!", "DLV48gAaXSHTObg27u/HPQ==", "CLV48gAaXSHTObg27u/HPQ==" * 2, "AAAA", "a" * 24],
)
def test_every_decryption_failure_is_the_same_error(garbage):
    with pytest.raises(DecryptionError) as caught:
        Cipher(DEFAULT_KEY, DEFAULT_IV).decrypt_json(garbage)
    assert str(caught.value) == ""


def test_non_json_plaintext_is_a_decryption_error():
    cipher = Cipher(DEFAULT_KEY, DEFAULT_IV)
    with pytest.raises(DecryptionError):
        cipher.decrypt_json(cipher.encrypt("not json"))
    with pytest.raises(DecryptionError):
        cipher.decrypt_json("bp8N4w+BzXeMbfWPDJIguQ==")  # V5: an encrypted empty string


def test_wrong_key_does_not_decrypt():
    text = Cipher(DEFAULT_KEY, DEFAULT_IV).encrypt('{"a":1}')
    with pytest.raises(DecryptionError):
        Cipher("0123456789abcdef", DEFAULT_IV).decrypt_json(text)


@pytest.mark.parametrize(
    ("key", "iv"), [("short", DEFAULT_IV), (DEFAULT_KEY, "short"), ("키" * 16, DEFAULT_IV)]
)
def test_invalid_key_or_iv_is_refused(key, iv):
    with pytest.raises(ValueError):
        Cipher(key, iv)


def test_money_keeps_exact_decimals_through_json():
    value = loads('{"amount":19.99,"whole":20000}')
    assert str(value["amount"]) == "19.99"
    assert dumps(value) == '{"amount":19.99,"whole":20000}'


def test_password_hash_is_bcryptjs_compatible_and_verifies():
    hashed = hash_password("some-password")
    assert hashed.startswith("$2a$10$") and len(hashed) == 60
    assert check_password("some-password", hashed)
    assert not check_password("other-password", hashed)


def test_password_accepts_2b_hashes_and_rejects_malformed_ones():
    hashed = hash_password("pw")
    assert check_password("pw", "$2b$" + hashed[4:])
    assert not check_password("pw", "not-a-hash")
    assert not check_password("pw", "")


def test_passwords_longer_than_72_bytes_compare_on_their_first_72_like_bcryptjs():
    hashed = hash_password("a" * 72 + "tail-one")
    assert check_password("a" * 72 + "tail-two", hashed)
    assert not check_password("a" * 71, hashed)

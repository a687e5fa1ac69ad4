"""The verified-credential cache on its own: tags, expiry, bounds, stale hashes."""

from __future__ import annotations

from payment_service import crypto
from payment_service.security import passwords
from payment_service.security.credentials import VerifiedCredentials

from .support import BcryptCounter, ManualClock


def cache(ttl_s: float = 600, capacity: int = 3) -> tuple[VerifiedCredentials, ManualClock]:
    clock = ManualClock()
    return VerifiedCredentials(ttl_s, capacity, clock), clock


def test_only_the_remembered_triple_is_held():
    credentials, _ = cache()
    right = credentials.credential("r1", "$2a$10$hash", "pw")
    credentials.remember(right)
    assert credentials.holds(credentials.credential("r1", "$2a$10$hash", "pw"))
    assert not credentials.holds(credentials.credential("r1", "$2a$10$hash", "pw2"))
    assert not credentials.holds(credentials.credential("r2", "$2a$10$hash", "pw"))
    # A wrong guess does not evict the entry.
    assert credentials.holds(right)


def test_parts_cannot_be_shifted_between_fields():
    credentials, _ = cache()
    credentials.remember(credentials.credential("r1", "ab", "c"))
    assert not credentials.holds(credentials.credential("r1", "a", "bc"))


def test_a_new_stored_hash_drops_the_entry():
    credentials, _ = cache()
    credentials.remember(credentials.credential("r1", "old-hash", "pw"))
    assert not credentials.holds(credentials.credential("r1", "new-hash", "pw"))
    assert len(credentials) == 0


def test_entries_expire():
    credentials, clock = cache(ttl_s=10)
    credential = credentials.credential("r1", "h", "pw")
    credentials.remember(credential)
    clock.advance(9.9)
    assert credentials.holds(credential)
    clock.advance(0.1)
    assert not credentials.holds(credential)
    assert len(credentials) == 0


def test_the_least_recently_used_entry_goes_first():
    credentials, _ = cache(capacity=3)
    triples = [credentials.credential(f"r{n}", "h", "pw") for n in range(4)]
    for credential in triples[:3]:
        credentials.remember(credential)
    assert credentials.holds(triples[0])  # r0 is now the most recently used
    credentials.remember(triples[3])
    assert len(credentials) == 3
    assert [credentials.holds(c) for c in triples] == [True, False, True, True]


def test_each_process_has_its_own_key():
    first, _ = cache()
    second, _ = cache()
    assert first.credential("r", "h", "pw") != second.credential("r", "h", "pw")


def test_a_zero_time_to_live_remembers_nothing():
    credentials, _ = cache(ttl_s=0)
    credential = credentials.credential("r1", "h", "pw")
    credentials.remember(credential)
    assert not credentials.enabled
    assert not credentials.holds(credential)
    assert len(credentials) == 0


def test_outside_a_request_a_check_is_plain_bcrypt(monkeypatch):
    counter = BcryptCounter(crypto.bcrypt_check)
    monkeypatch.setattr(crypto, "bcrypt_check", counter)
    hashed = crypto.hash_password("pw")
    assert passwords.verify("r1", hashed, "pw")
    assert passwords.verify("r1", hashed, "pw")
    assert not passwords.verify("r1", hashed, "wrong")
    passwords.burn("pw")
    assert counter.calls == 4  # nothing remembered, nothing skipped

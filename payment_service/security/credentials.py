"""Remembering which (record, password) pairs already passed bcrypt, without keeping passwords.

An entry is two HMAC-SHA256 tags under a random key that lives only in this process's memory:
one of (record id, stored hash), one of (record id, stored hash, password). The first tells
that the record's password hash changed since (the entry is then dropped); the second is
compared in constant time with the tag of the password being checked. Only a successful bcrypt
check ever writes an entry, so a wrong password can never be found here.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Credential:
    """The tags of one (record, stored hash, password) triple, computed once per check."""

    record_id: str
    hash_tag: bytes
    password_tag: bytes


@dataclass(frozen=True)
class _Entry:
    hash_tag: bytes
    password_tag: bytes
    expires_at: datetime


class VerifiedCredentials:
    """A bounded (least recently used first out), expiring set of verified credentials."""

    def __init__(self, ttl_s: float, capacity: int, clock: Callable[[], datetime]):
        self.ttl = timedelta(seconds=ttl_s)
        self.capacity = capacity
        self._clock = clock
        self._key = secrets.token_bytes(32)
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        # Server threads share one cache; every read also reorders (LRU), so all access locks.
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.ttl > timedelta(0)

    def __len__(self) -> int:
        return len(self._entries)

    def credential(self, record_id: str, stored_hash: str, password: str) -> Credential:
        return Credential(
            record_id,
            self._tag(record_id, stored_hash),
            self._tag(record_id, stored_hash, password),
        )

    def holds(self, credential: Credential) -> bool:
        """Whether this exact credential passed bcrypt within the time to live."""
        if not self.enabled:
            return False
        now = self._clock()
        with self._lock:
            entry = self._entries.get(credential.record_id)
            if entry is None:
                return False
            if entry.expires_at <= now or not hmac.compare_digest(
                entry.hash_tag, credential.hash_tag
            ):
                # Expired, or the record's password was changed: the entry can never match again.
                del self._entries[credential.record_id]
                return False
            self._entries.move_to_end(credential.record_id)
        return hmac.compare_digest(entry.password_tag, credential.password_tag)

    def remember(self, credential: Credential) -> None:
        """Record a credential that bcrypt has just accepted (never call it for anything else)."""
        if not self.enabled:
            return
        entry = _Entry(credential.hash_tag, credential.password_tag, self._clock() + self.ttl)
        with self._lock:
            self._entries[credential.record_id] = entry
            self._entries.move_to_end(credential.record_id)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def _tag(self, *parts: str) -> bytes:
        # Each part is length-prefixed, so no two different triples share a message.
        message = b"".join(
            len(encoded).to_bytes(4, "big") + encoded
            for encoded in (p.encode("utf-8", "surrogatepass") for p in parts)
        )
        return hmac.new(self._key, message, hashlib.sha256).digest()

"""Idempotency keys: a retried write is answered once, never performed twice.

The semantics follow the IETF draft "The Idempotency-Key HTTP Header Field" where it and Stripe
agree. A key belongs to one route. The first request with a key takes a lease on it; while the
lease runs, the same key gets 409. A final outcome (a 2xx, or a 4xx refusal) is stored with a
fingerprint of the request body and replayed for every later request with the same key and body;
a different body gets 422. An outcome that is not known (a gateway timeout, a 5xx, a crash)
is not stored: the key is released as *unknown*, and the next request with it is told so
(`Attempt.resumed`), so that the operation can settle what the first attempt may have done
instead of doing it again.

A key is no password oracle: a kept key remembers the record its first request opened (or
created) and that record's password hash (`Opened`); a later request with the key must open
it too — through the same verified-credential cache and throttle as any check — before the
body is compared or anything replayed (`Keys.holder`, then `begin`). An answer is kept only
when the request showed a password that opens its record: a request refused for its password
or its body never pins the key (`finish` and `release` forget it instead).

Everything lives in the database, so it holds across processes and machines.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..crypto import Cipher
from ..db import Database, IdempotencyKey
from ..db.models import new_id
from ..db.queries import idempotency as keys
from ..errors import Conflict, ServiceError, Unprocessable

# What a key may be: the draft leaves it to the server; Stripe allows 255 characters.
MAX_KEY_LENGTH = 255
IN_PROGRESS = "A request with this Idempotency-Key is still being processed; retry later."
MISMATCH = (
    "This Idempotency-Key was already used with a different request body; "
    "use a new key for a new request."
)


def key_problem(key: str) -> str | None:
    """Why `key` is not a usable Idempotency-Key, or None."""
    if not key:
        return "must not be empty"
    if len(key) > MAX_KEY_LENGTH:
        return f"must be at most {MAX_KEY_LENGTH} characters long"
    if not all(0x21 <= ord(char) <= 0x7E for char in key):
        return "must be printable ASCII characters without spaces"
    return None


# Not part of a fingerprint: the password is checked against the record it opens instead
# (bcrypt, throttled), so nothing kept with a key lets anyone test a guess faster than that.
UNPRINTED = "password"


def fingerprint(secret: bytes, body: Any) -> str:
    """HMAC-SHA256 under `secret` (a server secret, never in the database) of the decrypted
    request body without its password, insensitive to key order and whitespace."""
    if isinstance(body, dict):
        body = {name: value for name, value in body.items() if name != UNPRINTED}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hmac.new(secret, canonical.encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Stored:
    """A final answer kept for replay: status, content type and body. `encrypted`: the body is
    the plaintext of an encrypted answer (encrypted for the wire again at each replay, with the
    pair the replaying client uses); otherwise it is the exact body (a plain JSON error)."""

    status: int
    content_type: str
    body: bytes
    encrypted: bool = False


@dataclass(frozen=True)
class Opened:
    """The record a request's password was shown to open (or created), and its hash then."""

    record_id: str
    password_hash: str


@dataclass(frozen=True)
class Attempt:
    """The lease of one request on one key. `resumed`: an earlier attempt with this key ended
    with an unknown outcome, so what it did must be settled before anything is redone;
    `context` is what that attempt noted (`Keys.note`) before it reached the gateway."""

    id: str
    owner: str
    resumed: bool
    context: dict[str, Any] | None = None


class Keys:
    """The idempotency keys of one server: begin, finish, release and purge."""

    def __init__(
        self,
        database: Database,
        cipher: Cipher,
        fingerprint_secret: bytes,
        ttl: timedelta,
        lease: timedelta,
    ):
        self.database = database
        self.cipher = cipher
        self.fingerprint_secret = fingerprint_secret
        self.ttl = ttl
        self.lease = lease

    def fingerprint(self, body: Any) -> str:
        return fingerprint(self.fingerprint_secret, body)

    def take_fresh(self, route: str, key: str, print_: str, now: datetime) -> Attempt | None:
        """Take a key that no request has used (the usual case) in one statement; None when
        the key exists, whatever its state: then `holder` and `begin` decide."""
        owner = str(uuid.uuid4())
        key_id = new_id()
        values = _lease(key_id, route, key, print_, owner, now, self.lease, self.ttl)
        with self.database.one_statement() as session:
            if not keys.insert_new_key(session, values):
                return None
        return Attempt(key_id, owner, resumed=False)

    def holder(self, route: str, key: str, now: datetime) -> Opened | None:
        """What a request must open before it is told anything about this key: None for a
        key that is free, or held by a request that has not shown a password yet."""
        with self.database.reading() as session:
            row = keys.find(session, route, key)
            if row is None or row.expires_at <= now or row.auth_hash is None:
                return None
            assert row.auth_record is not None
            return Opened(row.auth_record, row.auth_hash)

    def begin(
        self, route: str, key: str, print_: str, now: datetime, opened: Opened | None = None
    ) -> Attempt | Stored:
        """Take the key for this request, or return the stored answer to replay. `opened`:
        what the caller checked this request's password against (`holder`), if anything.

        Raises 422 when the key was used with another body, 409 while another request holds it
        (or when its holder changed since it was checked).
        """
        owner = str(uuid.uuid4())
        with self.database.transaction() as session:
            row = keys.locked(session, route, key)
            if row is not None and row.expires_at <= now:
                keys.forget(session, row)
                row = None
            if row is not None and _holder(row) != opened:
                # Answered, or released as unknown, since the caller checked: check again.
                raise Conflict(IN_PROGRESS)
            if row is not None and row.status is not None and row.auth_hash is None:
                # Kept before answers were bound to a password (migration 0007): never replayed.
                raise Unprocessable(MISMATCH)
            if row is None:
                key_id = new_id()
                values = _lease(key_id, route, key, print_, owner, now, self.lease, self.ttl)
                if not keys.insert_new_key(session, values):
                    # Another request inserted the same key between our read and our insert.
                    raise Conflict(IN_PROGRESS)
                return Attempt(key_id, owner, resumed=False)
            if row.fingerprint != print_:
                raise Unprocessable(MISMATCH)
            if row.status is not None:
                return self._stored(row)
            if row.locked_until > now:
                raise Conflict(IN_PROGRESS)
            # The previous holder ended without a final answer (unknown outcome or a crash).
            row.owner = owner
            row.locked_until = now + self.lease
            row.unknown = False
            context = json.loads(self.cipher.decrypt(row.context)) if row.context else None
            return Attempt(row.id, owner, resumed=True, context=context)

    def note(self, attempt: Attempt, context: dict[str, Any]) -> None:
        """Keep what a retry of this attempt needs to find out what it did (e.g. which refund
        it reserved). Raises if the note cannot be kept: the caller must not go on then."""
        with self.database.transaction() as session:
            row = keys.locked_by_id(session, attempt.id)
            if row is None or row.owner != attempt.owner:
                raise Conflict(IN_PROGRESS)
            row.context = self.cipher.encrypt(json.dumps(context))

    def finish(
        self, attempt: Attempt, answer: Stored, now: datetime, opened: Opened | None
    ) -> None:
        """Keep a final answer for replay (only if this request still holds the key), bound
        to the record the request opened; a request that opened none lets the key go."""
        sealed = json.dumps(
            {
                "content_type": answer.content_type,
                "body": answer.body.decode("utf-8"),
                "encrypted": answer.encrypted,
            }
        )
        if opened is None:
            self._let_go(attempt, now)
            return
        response = self.cipher.encrypt(sealed)
        with self.database.one_statement() as session:
            # Nothing is kept if another request took the key over meanwhile.
            keys.keep_answer(
                session,
                attempt.id,
                attempt.owner,
                status=answer.status,
                response=response,
                locked_until=now,
                expires_at=now + self.ttl,
                auth_record=opened.record_id,
                auth_hash=opened.password_hash,
            )

    def _let_go(self, attempt: Attempt, now: datetime) -> None:
        """A final answer to a request that opened no record: the key goes, unless it is a
        resumed key whose first request's outcome is still unknown."""
        with self.database.transaction() as session:
            row = keys.locked_by_id(session, attempt.id)
            if row is None or row.owner != attempt.owner:
                return
            if row.auth_hash is None:
                keys.forget(session, row)
            else:
                row.unknown = True
                row.locked_until = now

    def release(self, attempt: Attempt, now: datetime, opened: Opened | None) -> None:
        """The outcome is unknown: let the next request with this key take over at once (one
        that opens the same record). A request that opened none did nothing: the key goes."""
        with self.database.transaction() as session:
            row = keys.locked_by_id(session, attempt.id)
            if row is None or row.owner != attempt.owner or row.status is not None:
                return
            if opened is None and row.auth_hash is None:
                keys.forget(session, row)
                return
            if opened is not None:
                row.auth_record, row.auth_hash = opened.record_id, opened.password_hash
            row.unknown = True
            row.locked_until = now

    def purge(self, now: datetime, batch: int = 1000) -> int:
        """Delete up to `batch` expired keys; returns how many went."""
        with self.database.transaction() as session:
            return keys.purge(session, now, batch)

    def _stored(self, row: IdempotencyKey) -> Stored:
        if row.response is None or row.status is None:
            raise ServiceError("a stored idempotent answer is missing its body")
        sealed = json.loads(self.cipher.decrypt(row.response))
        body = sealed["body"].encode("utf-8")
        return Stored(row.status, sealed["content_type"], body, sealed.get("encrypted", False))


def _lease(
    key_id: str,
    route: str,
    key: str,
    print_: str,
    owner: str,
    now: datetime,
    lease: timedelta,
    ttl: timedelta,
) -> dict[str, Any]:
    """The row of a key just taken by `owner`."""
    return {
        "id": key_id,
        "route": route,
        "key": key,
        "fingerprint": print_,
        "owner": owner,
        "locked_until": now + lease,
        "unknown": False,
        "created_at": now,
        "expires_at": now + ttl,
    }


def _holder(row: IdempotencyKey) -> Opened | None:
    if row.auth_hash is None or row.auth_record is None:
        return None
    return Opened(row.auth_record, row.auth_hash)

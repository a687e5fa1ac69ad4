"""Several key generations per key: the current pair encrypts, every configured pair decrypts.

Two kinds, because the wire and the database need different things:

* `WireKeyring` (the connection key): the format is fixed by the original server and its SDK,
  so ciphertext carries no hint of its key. A body is tried with the current pair, then each
  previous pair; it counts as decrypted only when the plaintext is UTF-8 JSON. (CBC with PKCS#7
  "unpads" garbage about once in 256 tries with a wrong key; garbage that is also valid JSON is
  practically impossible.) The caller learns which pair worked, to answer with the same one.

* `AtRestKeyring` (one per encrypted table): new ciphertext is an envelope of our own that names
  its key generation and is authenticated (HMAC) before anything is decrypted::

      $ps1$<key id: 8 hex>$<standard base64 of AES-CBC, as the original>$<tag: base64url>

  It starts with `$`, which no base64 alphabet contains, so it can never be mistaken for the
  original's unmarked ciphertext; unmarked values (databases written by the original server or
  by earlier versions of this one) are still read, by trying each pair as on the wire.

  A value written where it lives is known (`Place`: table, column, row id) is a *bound*
  envelope, `$ps2$…`, whose MAC also covers the place: moved to another row or column it no
  longer opens. `$ps1$` envelopes (unbound, written before) are still read; `rotate-keys`
  rewrites them bound. A keyring with `refuse_unbound` (`PAYMENT_AT_REST_REQUIRE_BOUND`)
  refuses every value that is not a bound envelope — an unmarked one included, so stripping
  the envelope off a value gains nothing.

The key id and the MAC key are derived from the pair with HMAC-SHA256 under distinct labels, so
the key id reveals nothing usable about the key, and stays the same for a pair wherever it sits
in the configuration (current today, previous tomorrow).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from . import key_usage
from .crypto import Cipher, DecryptionError, dumps, loads

ENVELOPE_PREFIX = "$ps1$"
BOUND_PREFIX = "$ps2$"
_KEY_ID_LABEL = b"payment-service key id\x00"
_MAC_LABEL = b"payment-service at-rest mac\x00"
_TAG_BYTES = 16


def key_id(cipher: Cipher) -> str:
    """A short, stable, non-secret name of one key/IV pair (8 hex digits)."""
    return _derive(cipher, _KEY_ID_LABEL)[:4].hex()


def _derive(cipher: Cipher, label: bytes) -> bytes:
    return hmac.new(
        cipher.key.encode("ascii"), label + cipher.iv.encode("ascii"), hashlib.sha256
    ).digest()


@dataclass(frozen=True)
class Place:
    """Where a stored value lives: its MAC covers it, so it cannot be moved elsewhere."""

    table: str
    column: str
    row_id: str

    def label(self) -> bytes:
        return f"{self.table}\x00{self.column}\x00{self.row_id}\x00".encode()


def generation_name(index: int) -> str:
    """`current` for index 0, `previous-1`, `previous-2`... for the configured previous pairs."""
    return "current" if index == 0 else f"previous-{index}"


@dataclass(frozen=True)
class Generation:
    """One pair of a keyring and its position (0 = current)."""

    index: int
    cipher: Cipher
    id: str
    mac_key: bytes = field(repr=False)

    @property
    def name(self) -> str:
        return generation_name(self.index)


@dataclass(frozen=True, repr=False)
class _Keyring:
    name: str
    """What the keyring protects (`connection`, `history`...): labels logs and counters."""
    current: Cipher
    previous: tuple[Cipher, ...] = ()
    generations: tuple[Generation, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        pairs = (self.current, *self.previous)
        generations = tuple(
            Generation(i, c, key_id(c), _derive(c, _MAC_LABEL)) for i, c in enumerate(pairs)
        )
        object.__setattr__(self, "generations", generations)

    def __repr__(self) -> str:
        # Never the keys themselves: settings objects end up in logs and tracebacks.
        ids = ", ".join(f"{g.name}={g.id}" for g in self.generations)
        return f"{type(self).__name__}({self.name!r}, {ids})"

    @property
    def key(self) -> str:
        """The current key (what new clients and receivers are given)."""
        return self.current.key

    @property
    def iv(self) -> str:
        return self.current.iv

    def _record(self, generation: Generation) -> None:
        key_usage.record(self.name, generation.name, generation.id)

    def _trial(self, text: str | bytes) -> tuple[str, Any, Generation]:
        """Unmarked ciphertext: the first pair whose plaintext is UTF-8 JSON wins. Returns the
        plaintext, its JSON value and the generation.

        Every pair is tried before giving up, so a failure costs the same whatever the body.
        """
        for generation in self.generations:
            try:
                plaintext = generation.cipher.decrypt(text)
                value = loads(plaintext)
            except (DecryptionError, ValueError, RecursionError):
                continue
            return plaintext, value, generation
        raise DecryptionError


class WireKeyring(_Keyring):
    """The connection key and its previous generations (unmarked ciphertext, as on the wire)."""

    def encrypt(self, text: str) -> str:
        return self.current.encrypt(text)

    def encrypt_json(self, value: Any) -> str:
        return self.current.encrypt_json(value)

    def open(self, text: str | bytes) -> tuple[Any, Cipher]:
        """The JSON value of `text` and the pair that decrypted it (to answer with)."""
        _, value, generation = self._trial(text)
        self._record(generation)
        return value, generation.cipher

    def decrypt_json(self, text: str | bytes) -> Any:
        return self.open(text)[0]


@dataclass(frozen=True, repr=False)
class AtRestKeyring(_Keyring):
    """One table's key and its previous generations; writes marked, authenticated envelopes,
    bound to their place when the caller names it."""

    refuse_unbound: bool = False
    """Refuse every value that is not a bound envelope (unmarked or `$ps1$` ones)."""

    def encrypt(self, text: str, place: Place | None = None) -> str:
        """Seal `text` (JSON, as every stored value is) with the current pair."""
        return self.seal(self.generations[0], self.current.encrypt(text), place)

    def encrypt_json(self, value: Any, place: Place | None = None) -> str:
        return self.encrypt(dumps(value), place)

    def decrypt(self, text: str, place: Place | None = None) -> str:
        plaintext, generation = self.open_text(text, place)
        self._record(generation)
        return plaintext

    def decrypt_json(self, text: str, place: Place | None = None) -> Any:
        value, generation = self.open(text, place)
        self._record(generation)
        return value

    def open(self, text: str, place: Place | None = None) -> tuple[Any, Generation]:
        """The JSON value of a stored ciphertext (marked or not) and the generation that made
        it."""
        plaintext, generation = self.open_text(text, place)
        try:
            return loads(plaintext), generation
        except (ValueError, RecursionError):
            raise DecryptionError from None

    def open_text(self, text: str, place: Place | None = None) -> tuple[str, Generation]:
        """The plaintext of a stored ciphertext (marked or not) and the generation that made it.

        A marked value is opened only by a generation whose MAC it carries (a bound one only at
        `place`); an unmarked one by the first pair that yields JSON, unless `refuse_unbound`.
        """
        if not text.startswith((ENVELOPE_PREFIX, BOUND_PREFIX)):
            if self.refuse_unbound:
                raise DecryptionError
            plaintext, _, generation = self._trial(text)
            return plaintext, generation
        if self.refuse_unbound and not text.startswith(BOUND_PREFIX):
            raise DecryptionError
        for generation, body in self._authentic(text, place):
            try:
                return generation.cipher.decrypt(body), generation
            except DecryptionError:
                continue
        raise DecryptionError

    def is_current(self, text: str, place: Place | None = None) -> bool:
        """Whether `text` is an authentic envelope of the current pair, bound to `place` when
        one is given (nothing to rotate)."""
        if place is not None and not text.startswith(BOUND_PREFIX):
            return False
        return any(g.index == 0 for g, _ in self._authentic(text, place))

    def rewrap(self, text: str, place: Place | None = None) -> str | None:
        """`text` re-encrypted with the current pair (and bound to `place`, when given), or
        None when it already is. The plaintext is kept byte for byte (never re-serialized).

        Raises DecryptionError when no configured pair opens it.
        """
        if self.is_current(text, place):
            return None
        plaintext, _ = self.open_text(text, place)
        return self.encrypt(plaintext, place)

    @staticmethod
    def seal(generation: Generation, ciphertext: str, place: Place | None = None) -> str:
        prefix = ENVELOPE_PREFIX if place is None else BOUND_PREFIX
        signed = f"{prefix}{generation.id}${ciphertext}"
        return f"{signed}${_tag(generation.mac_key, signed, place)}"

    def _authentic(self, text: str, place: Place | None) -> Iterator[tuple[Generation, str]]:
        """The generations whose id the envelope names and whose MAC it carries (normally one;
        two pairs sharing a 32-bit id are told apart by the MAC). A bound envelope is authentic
        only at its own place (never without one)."""
        if not text.isascii():
            return
        if text.startswith(BOUND_PREFIX):
            if place is None:
                return
            prefix, bound_to = BOUND_PREFIX, place
        elif text.startswith(ENVELOPE_PREFIX):
            prefix, bound_to = ENVELOPE_PREFIX, None
        else:
            return
        signed, _, tag = text.rpartition("$")
        kid, _, body = signed[len(prefix) :].partition("$")
        for generation in self.generations:
            if generation.id != kid:
                continue
            expected = _tag(generation.mac_key, signed, bound_to)
            if hmac.compare_digest(expected.encode(), tag.encode()):
                yield generation, body


def _tag(mac_key: bytes, signed: str, place: Place | None = None) -> str:
    bound = b"" if place is None else place.label()
    mac = hmac.new(mac_key, bound + signed.encode("ascii"), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()[:_TAG_BYTES]).decode("ascii").rstrip("=")


def is_marked(text: str) -> bool:
    """Whether a stored value is in an envelope format (rather than the original's)."""
    return text.startswith((ENVELOPE_PREFIX, BOUND_PREFIX))


def is_bound(text: str) -> bool:
    """Whether a stored value is an envelope bound to its place."""
    return text.startswith(BOUND_PREFIX)

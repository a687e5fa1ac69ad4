"""The AES keyrings as declared settings, and fresh keys for `payment-service keys generate`.

Each keyring is built from three variables: `PAYMENT_{TABLE}_ENCRYPTION_KEY` and `_IV` (the
current pair) and `PAYMENT_{TABLE}_PREVIOUS_KEYS` (older pairs that still decrypt). In `local`
mode a missing pair is the published one; `dev` and `real` need every pair set, and never to a
published value; `real` also refuses weak or repeated values (`key_hygiene`).
"""

from __future__ import annotations

import base64
import json
import secrets
import string
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..crypto import Cipher, iv_problem, key_problem
from ..key_hygiene import key_problems, weakness
from ..keyrings import AtRestKeyring, WireKeyring
from .parsers import text
from .schema import REDACTED, Group, Reader, Role, Variable, declared

TOPIC = "Keys"

# The values published with the original project (docs/payment-api.md §3.2, §5.1) plus our own
# webhook-table key. Anyone can read them, so they protect nothing: only `local` mode may use them.
PUBLISHED_KEYS: dict[str, tuple[str, str]] = {
    "CONNECTION": ("MCKOxv9B23r7EatArCFcBP03nfaS03T8", "9haeYD1tIf4v8xs7"),
    "HISTORY": ("MTlsOESZ6geZTjeaubOdR71tobe0KqE7", "7BqAGp1HPY9Ox66w"),
    "RESERVATION": ("0OrB5XVgkYpoybWeGIUkattMb4lTLQgz", "ESgYCYV10Iy6qd1y"),
    "CANCEL_HISTORY": ("aU3y0PTXraB2SEYj1ACwtTYKxiYBvH4g", "fro2JXImhmbDtDNx"),
    "WEBHOOK": ("f3Kq9ZrT0bWm7XcV2nLp5HsJ8dYg4AeU", "Qm2Rk7Tz9Wx4Vb1N"),
    "IDEMPOTENCY": ("5kpS6QEqXanlPmLzc0YtDeWXRmnHJhf6", "qwPcvBaUvzgmr53D"),
}
PUBLISHED_VALUES = {value for pair in PUBLISHED_KEYS.values() for value in pair}


def published_keyring(table: str) -> WireKeyring | AtRestKeyring:
    """The keyring of `table` on its published pair (what `local` mode runs on)."""
    cipher = Cipher(*PUBLISHED_KEYS[table])
    if table == "CONNECTION":
        return WireKeyring("connection", cipher)
    return AtRestKeyring(table.lower(), cipher)


def keyring(table: str, protects: str, roles: Iterable[Role]) -> Any:
    """A dataclass field holding the keyring of `table` (its published pair by default)."""
    return declared(Keyring(table, protects, tuple(roles)), lambda: published_keyring(table))


def key_variable(table: str) -> str:
    return f"PAYMENT_{table}_ENCRYPTION_KEY"


def iv_variable(table: str) -> str:
    return f"PAYMENT_{table}_ENCRYPTION_IV"


def previous_variable(table: str) -> str:
    return f"PAYMENT_{table}_PREVIOUS_KEYS"


def _pair_problems(key: str, iv: str, mode: str, names: tuple[str, str]) -> list[str]:
    """Everything wrong with one key/IV pair; `names` label the key and the IV."""
    problems = [
        f"{name}: {problem}"
        for name, problem in ((names[0], key_problem(key)), (names[1], iv_problem(iv)))
        if problem
    ]
    if mode != "local":
        problems += [
            f"{name}: is a published default value; {mode} mode needs a secret one"
            for name, value in zip(names, (key, iv), strict=True)
            if value in PUBLISHED_VALUES
        ]
    return problems


@dataclass(frozen=True)
class Keyring:
    """The declaration of one table's keyring (three variables, one value)."""

    table: str
    protects: str
    """What the pair encrypts, for the reference ("payments' gateway data")."""
    roles: tuple[Role, ...]

    @property
    def variables(self) -> tuple[Variable, ...]:
        key, iv = PUBLISHED_KEYS[self.table]
        shown = "`local`: `{}` (published); `dev`/`real`: required"
        wire = self.table == "CONNECTION"
        return (
            Variable(
                key_variable(self.table),
                f"AES key (16, 24 or 32 ASCII characters) of {self.protects}",
                self.roles,
                text,
                secret=True,
                topic=TOPIC,
                shown_default=shown.format(key),
            ),
            Variable(
                iv_variable(self.table),
                f"AES IV (16 ASCII characters) of {self.protects}",
                self.roles,
                text,
                secret=True,
                topic=TOPIC,
                shown_default=shown.format(iv),
            ),
            Variable(
                previous_variable(self.table),
                'older pairs, still accepted during a rotation: a JSON list of {"key", "iv"}, '
                "newest first"
                + ("" if wire else "; needed until `rotate-keys` has re-encrypted the table"),
                self.roles,
                text,
                secret=True,
                topic=TOPIC,
            ),
        )

    def read(self, reader: Reader) -> WireKeyring | AtRestKeyring:
        current = self._current(reader)
        previous = self._previous(reader, current)
        if current is None:  # unusable: the problems are recorded; any pair will do
            current = Cipher(*PUBLISHED_KEYS[self.table])
        if self.table == "CONNECTION":
            return WireKeyring("connection", current, previous)
        return AtRestKeyring(self.table.lower(), current, previous)

    def _current(self, reader: Reader) -> Cipher | None:
        mode = reader.mode
        names = (key_variable(self.table), iv_variable(self.table))
        checks = (key_problem, iv_problem)
        values: list[str] = []
        for name, check, published in zip(names, checks, PUBLISHED_KEYS[self.table], strict=True):
            value = reader.text(name)
            if value is None:
                if mode != "local":
                    reader.problem(name, f"required in {mode} mode")
                value = published
            elif mode != "local" and value in PUBLISHED_VALUES:
                reader.problem(
                    name, f"is a published default value; {mode} mode needs a secret one"
                )
            problem = check(value)
            if problem:
                reader.problem(name, problem)
            values.append(value)
        if len(set(values)) < 2 and mode != "local":
            reader.problem(f"{names[0]} and {names[1]}", "must differ")
        try:
            return Cipher(*values)
        except ValueError:
            return None

    def _previous(self, reader: Reader, current: Cipher | None) -> tuple[Cipher, ...]:
        """The JSON list of older pairs, each checked like the current one. Values are never
        echoed in problems: they are secrets."""
        name = previous_variable(self.table)
        raw = reader.text(name)
        if raw is None:
            return ()
        shape = 'must be a JSON list of {"key": ..., "iv": ...}'
        try:
            items = json.loads(raw)
        except ValueError:
            reader.problem(name, shape)
            return ()
        if not isinstance(items, list):
            reader.problem(name, shape)
            return ()
        ciphers: list[Cipher] = []
        seen = {(current.key, current.iv)} if current else set()
        for index, item in enumerate(items):
            where = f"{name}[{index}]"
            if not isinstance(item, dict) or set(item) != {"key", "iv"}:
                reader.problem(where, 'must be an object with exactly "key" and "iv"')
                continue
            pair = (item["key"], item["iv"])
            if not all(isinstance(value, str) for value in pair):
                reader.problem(where, "key and iv must be strings")
                continue
            problems = _pair_problems(*pair, reader.mode, (f"{where}.key", f"{where}.iv"))
            if reader.mode != "local" and pair[0] == pair[1]:
                problems.append(f"{where}: key and iv must differ")
            if pair in seen:
                problems.append(f"{where}: repeats the current pair or an earlier previous one")
            seen.add(pair)
            for problem in problems:
                label, _, message = problem.partition(": ")
                reader.problem(label, message)
            if not problems:
                ciphers.append(Cipher(*pair))
        return tuple(ciphers)

    def redacted(self, value: Any) -> Any:
        return value  # a keyring's repr shows key ids, never keys

    def shown(self, variable: Variable, value: Any, given: str | None) -> str:
        return "" if given is None else REDACTED

    def secret_strings(self, value: Any) -> Iterable[str]:
        for generation in value.generations:
            yield generation.cipher.key
            yield generation.cipher.iv


def _previous_values(raw: str | None, name: str, current: tuple[str, str]) -> dict[str, str]:
    """The keys and IVs of a `PAYMENT_*_PREVIOUS_KEYS` list, by label (`NAME[0].key`). Entries
    `Keyring._previous` already refuses (wrong shape, length, published, repeated) are left
    out, so each problem is named once."""
    try:
        items = json.loads(raw) if raw else []
    except ValueError:
        return {}
    values: dict[str, str] = {}
    seen = {current}
    for index, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, dict) or set(item) != {"key", "iv"}:
            continue
        pair = (item["key"], item["iv"])
        labels = (f"{name}[{index}].key", f"{name}[{index}].iv")
        if not all(isinstance(value, str) for value in pair):
            continue
        refused = _pair_problems(*pair, "real", labels) or pair[0] == pair[1] or pair in seen
        seen.add(pair)
        if not refused:
            values |= dict(zip(labels, pair, strict=True))
    return values


class KeysGroup(Group):
    """The keyrings together: in `real` mode no weak key or IV, and none used twice — the
    previous pairs of every table included, since each still decrypts what it once wrote."""

    def read(self, reader: Reader) -> Any:
        keys = super().read(reader)
        if reader.mode == "real":
            values: dict[str, str] = {}
            for table in PUBLISHED_KEYS:
                names = (key_variable(table), iv_variable(table))
                current = (reader.text(names[0]) or "", reader.text(names[1]) or "")
                values |= {name: value for name, value in zip(names, current, strict=True) if value}
                previous = previous_variable(table)
                values |= _previous_values(reader.text(previous), previous, current)
            for problem in key_problems(values):
                name, _, message = problem.partition(": ")
                reader.problem(name, message)
        return keys


# -- fresh keys -----------------------------------------------------------------------------

_ALPHABET = string.ascii_letters + string.digits
KEY_LENGTH = 32  # AES-256
IV_LENGTH = 16
SIGNING_SECRET_BYTES = 32
MAC_KEY_LENGTH = 43  # about 256 bits of letters and digits


def random_text(length: int, taken: set[str]) -> str:
    """Random letters and digits that `real` mode accepts (drawn again in the rare case the
    draw looks weak) and that no other generated value repeats."""
    while True:
        value = "".join(secrets.choice(_ALPHABET) for _ in range(length))
        if weakness(value) is None and value not in taken and value not in PUBLISHED_VALUES:
            taken.add(value)
            return value


def signing_secret() -> str:
    """A webhook signing secret in the Standard Webhooks form, `whsec_<base64>`."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(SIGNING_SECRET_BYTES)).decode()


def generated_keys() -> dict[str, str]:
    """Fresh values for every key, IV, the webhook signing secret and the idempotency
    fingerprint key, by variable."""
    taken: set[str] = set()
    values: dict[str, str] = {}
    for table in PUBLISHED_KEYS:
        values[key_variable(table)] = random_text(KEY_LENGTH, taken)
        values[iv_variable(table)] = random_text(IV_LENGTH, taken)
    values["PAYMENT_WEBHOOK_SIGNING_SECRET"] = signing_secret()
    values["PAYMENT_IDEMPOTENCY_FINGERPRINT_KEY"] = random_text(MAC_KEY_LENGTH, taken)
    return values

"""Operators: who may log in to the console, with which role (no Flask here: the CLI and the
console both use it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from ..db import ConsoleOperator, Database
from ..db.queries import operators as stored
from ..errors import BadRequest, Conflict, NotFound
from . import passwords
from .permissions import ROLES


@dataclass(frozen=True)
class Operator:
    id: str
    email: str
    role: str
    disabled: bool
    created_at: datetime

    @classmethod
    def of(cls, row: ConsoleOperator) -> Operator:
        return cls(row.id, row.email, row.role, row.disabled_at is not None, row.created_at)


def normalized(email: str) -> str:
    return email.strip().lower()


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise BadRequest(f"Unknown role {role!r}: one of {', '.join(ROLES)}.")


def add(database: Database, email: str, role: str, password: str, now: datetime) -> Operator:
    email = normalized(email)
    if "@" not in email:
        raise BadRequest(f"{email!r} is not an email address.")
    _check_role(role)
    problem = passwords.weakness(password)
    if problem:
        raise BadRequest(problem)
    hashed = passwords.hash_password(password)  # outside the transaction: it takes a while
    try:
        with database.transaction() as session:
            if stored.by_email(session, email) is not None:
                raise Conflict(f"An operator {email} exists already.")
            row = ConsoleOperator(email=email, password=hashed, role=role, created_at=now)
            session.add(row)
            session.flush()
            return Operator.of(row)
    except IntegrityError:
        raise Conflict(f"An operator {email} exists already.") from None


def every(database: Database) -> list[Operator]:
    with database.reading() as session:
        return [Operator.of(row) for row in stored.every(session)]


def get(database: Database, operator_id: str) -> Operator | None:
    with database.reading() as session:
        row = stored.by_id(session, operator_id)
        return Operator.of(row) if row is not None else None


def disable(database: Database, email: str, now: datetime) -> Operator:
    with database.transaction() as session:
        row = stored.by_email(session, normalized(email))
        if row is None:
            raise NotFound(f"No operator {normalized(email)}.")
        if row.disabled_at is None:
            row.disabled_at = now
        return Operator.of(row)


def set_role(database: Database, email: str, role: str) -> Operator:
    _check_role(role)
    with database.transaction() as session:
        row = stored.by_email(session, normalized(email))
        if row is None:
            raise NotFound(f"No operator {normalized(email)}.")
        row.role = role
        return Operator.of(row)


def authenticate(database: Database, email: str, password: str) -> Operator | None:
    """The enabled operator that `email` and `password` name, else None. The hash is checked
    outside any transaction (argon2 takes tens of milliseconds by design)."""
    with database.reading() as session:
        row = stored.by_email(session, normalized(email))
        found = (row.id, row.password, row.disabled_at is None) if row is not None else None
    if not passwords.verify(found[1] if found else None, password):
        return None
    assert found is not None
    operator_id, hashed, enabled = found
    if not enabled:
        return None
    if passwords.needs_rehash(hashed):
        rehashed = passwords.hash_password(password)
        with database.transaction() as session:
            row = stored.by_id(session, operator_id)
            if row is not None and row.password == hashed:
                row.password = rehashed
    return get(database, operator_id)

"""Console operators (`ConsoleOperator`)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import ConsoleOperator


def by_email(session: Session, email: str) -> ConsoleOperator | None:
    return session.scalar(select(ConsoleOperator).where(ConsoleOperator.email == email))


def by_id(session: Session, operator_id: str) -> ConsoleOperator | None:
    return session.get(ConsoleOperator, operator_id)


def every(session: Session) -> list[ConsoleOperator]:
    return list(session.scalars(select(ConsoleOperator).order_by(ConsoleOperator.email)))

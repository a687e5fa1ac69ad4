"""Reservations: saved cards / billing keys for subscription payments (docs/payment-api.md §4.6)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..crypto import hash_password
from ..db import PaymentReservation
from ..db.models import new_id
from ..db.places import place
from ..db.queries import records
from ..errors import Conflict
from ..runtime import Runtime
from ..security import passwords
from . import access
from .inputs import NewReservation
from .views import reservation_view

WHAT = "payment reservation"


def create(runtime: Runtime, new: NewReservation) -> dict[str, Any]:
    vendor = runtime.vendors.get(new.vendor.code)
    # Duplicates are refused before the gateway is asked (a look-up there has no side effect,
    # but an answer we cannot store is wasted work).
    with runtime.database.transaction() as session:
        _refuse_duplicate(session, new)
    data = vendor.fetch_reservation(new.vendor.store_id, new.vendor.uid, customer_id=new.source.id)
    hashed = hash_password(new.password)  # bcrypt, outside any transaction
    try:
        with runtime.database.transaction() as session:
            _refuse_duplicate(session, new)
            row = PaymentReservation(
                id=new_id(),
                source_schema=new.source.schema,
                source_table=new.source.table,
                source_id=new.source.id,
                vendor_code=new.vendor.code,
                vendor_uid=new.vendor.uid,
                vendor_store_id=new.vendor.store_id,
                title=new.title,
                password=hashed,
                created_at=runtime.clock(),
            )
            row.data = runtime.settings.keys.reservation.encrypt_json(data, place(row, "data"))
            session.add(row)
            session.flush()
            passwords.created(row.id, hashed, new.password)
            return reservation_view(row, runtime.settings.keys.reservation)
    except IntegrityError:
        raise Conflict(
            "A payment reservation with the same source or vendor uid already exists."
        ) from None


def _refuse_duplicate(session: Session, new: NewReservation) -> None:
    existing = records.conflicting(
        session, PaymentReservation, new.source, new.vendor.code, new.vendor.uid
    )
    if not existing:
        return
    if access.same_source(existing[0], new.source):
        raise Conflict("A payment reservation already exists for this source (schema, table, id).")
    raise Conflict("A payment reservation already exists for this vendor uid.")


_LOOK_UPS = access.LookUps(PaymentReservation, WHAT, reservation_view, "reservation")
get_by_source = _LOOK_UPS.by_source
get_by_id = _LOOK_UPS.by_id

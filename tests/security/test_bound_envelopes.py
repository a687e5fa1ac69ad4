"""At-rest envelopes bound to table, column and row id, and the setting that refuses unbound
values once `rotate-keys` has rewritten a table (issue 24 item 8). The database half runs on
SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from payment_service.crypto import Cipher, DecryptionError
from payment_service.db import Database, PaymentReservation
from payment_service.db.places import place
from payment_service.keyrings import BOUND_PREFIX, ENVELOPE_PREFIX, AtRestKeyring, Place
from payment_service.payments.views import reservation_view
from payment_service.rotation import BOUND_KEYRINGS, require_binding, rotate_keys
from payment_service.settings import Settings
from tests.db.test_rotation import add_card
from tests.secret_keys import secret_keys_env

KEY = Cipher("Qm7Tz2Xr9Vb4Nc1Kw6Hp3Ld8Sg5Jf0Ay", "Hs4Kd8Wm2Qz6Xt1R")
RING = AtRestKeyring("history", KEY)
HERE = Place("payment_histories", "data", "11111111-1111-4111-8111-111111111111")


@pytest.mark.parametrize(
    "elsewhere",
    [
        Place(HERE.table, HERE.column, "22222222-2222-4222-8222-222222222222"),  # another row
        Place("payment_history_webhooks", "current", HERE.row_id),  # another table
        Place(HERE.table, "previous", HERE.row_id),  # another column
    ],
)
def test_a_bound_value_opens_only_where_it_was_written(elsewhere):
    sealed = RING.encrypt_json({"paymentKey": "pk"}, HERE)
    assert sealed.startswith(BOUND_PREFIX)
    assert RING.decrypt_json(sealed, HERE) == {"paymentKey": "pk"}
    with pytest.raises(DecryptionError):
        RING.decrypt_json(sealed, elsewhere)
    with pytest.raises(DecryptionError):
        RING.decrypt_json(sealed)  # a bound value is never read without its place


def test_unbound_values_are_read_unless_refused():
    unmarked = KEY.encrypt_json({"v": 1})  # the original's format (an envelope stripped off)
    unbound = RING.encrypt_json({"v": 2})  # an envelope of an earlier version
    assert unbound.startswith(ENVELOPE_PREFIX)
    assert RING.decrypt_json(unmarked, HERE) == {"v": 1}
    assert RING.decrypt_json(unbound, HERE) == {"v": 2}
    strict = AtRestKeyring("history", KEY, refuse_unbound=True)
    for value in (unmarked, unbound):
        with pytest.raises(DecryptionError):
            strict.decrypt_json(value, HERE)
    assert strict.decrypt_json(RING.encrypt_json({"v": 3}, HERE), HERE) == {"v": 3}


def real_settings(database_url: str, **environ: str) -> Settings:
    env = {
        **secret_keys_env(),
        "PAYMENT_MODE": "real",
        "PAYMENT_DATABASE_URL": database_url,
        "PAYMENT_LOAD_PLUGINS": "false",
        **environ,
    }
    return Settings.load(environ=env, env_file=None)


def refusing(settings: Settings) -> set[str]:
    names = ("history", "reservation", "cancel_history", "webhook", "idempotency")
    return {name for name in names if getattr(settings.keys, name).refuse_unbound}


def read_card(database: Database, settings: Settings, row_id: str) -> object:
    with database.reading() as session:
        row = session.get(PaymentReservation, row_id)
        return reservation_view(row, settings.keys.reservation)["data"]


def test_real_mode_refuses_unbound_values_once_rotate_keys_has_rewritten_the_table(database_url):
    database = Database(database_url)
    settings = real_settings(database_url)
    keyring = settings.keys.reservation
    row_id = add_card(database, keyring.current.encrypt_json({"billingKey": "bk"}))

    # Before any rotation: the unmarked value is read (adopted and older databases).
    assert refusing(require_binding(settings, database)) == set()
    assert read_card(database, settings, row_id) == {"billingKey": "bk"}

    reports = rotate_keys(database, settings.keys)
    assert {r.table: r.rewritten for r in reports}["payment_reservations"] == 1
    strict = require_binding(settings, database)
    # Every keyring whose tables were rewritten; never the idempotency answers (not bound).
    assert (
        refusing(strict)
        == set(BOUND_KEYRINGS)
        == {
            "history",
            "reservation",
            "cancel_history",
            "webhook",
        }
    )
    assert read_card(database, strict, row_id) == {"billingKey": "bk"}  # bound now

    # The envelope stripped off (the original's format again): refused from now on.
    with database.transaction() as session:
        session.get(PaymentReservation, row_id).data = keyring.current.encrypt_json({"x": 1})
    with pytest.raises(DecryptionError):
        read_card(database, strict, row_id)
    # …unless the operator says never; and dev mode does not refuse by default.
    never = require_binding(
        real_settings(database_url, PAYMENT_AT_REST_REQUIRE_BOUND="never"), database
    )
    assert read_card(database, never, row_id) == {"x": 1}
    dev = real_settings(database_url, PAYMENT_MODE="dev")
    assert refusing(require_binding(dev, database)) == set()
    always = real_settings(database_url, PAYMENT_MODE="dev", PAYMENT_AT_REST_REQUIRE_BOUND="always")
    assert refusing(require_binding(always, database)) == set(BOUND_KEYRINGS)
    database.dispose()


def test_a_dry_run_or_an_unreadable_row_seals_nothing(database_url):
    database = Database(database_url)
    settings = real_settings(database_url)
    add_card(database, settings.keys.reservation.current.encrypt_json({"billingKey": "bk"}))
    rotate_keys(database, settings.keys, dry_run=True)
    assert refusing(require_binding(settings, database)) == set()
    add_card(database, Cipher("0123456789abcdef", "fedcba9876543210").encrypt_json({}))
    rotate_keys(database, settings.keys)
    # The reservations keep an unreadable row: that keyring stays lenient, the others seal.
    assert refusing(require_binding(settings, database)) == set(BOUND_KEYRINGS) - {"reservation"}
    database.dispose()


def test_the_place_of_a_claim_is_its_payments():
    from payment_service.db import PaymentHistoryClaim

    claim = PaymentHistoryClaim(id=HERE.row_id)
    assert place(claim, "data") == HERE

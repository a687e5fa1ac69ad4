"""Password checks through the HTTP API: the verified-credential cache and the failure throttle,
on SQLite and PostgreSQL, with a hand-moved clock and a count of real bcrypt verifications."""

from __future__ import annotations

import ipaddress
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from payment_service import crypto
from payment_service.app import create_app
from payment_service.db import AuthFailure
from payment_service.db.queries import auth_failures
from payment_service.runtime import Runtime
from tests.conftest import make_settings

from .support import (
    PASSWORD,
    WRONG,
    BcryptCounter,
    ManualClock,
    change_password,
    seed_reservation,
    stored_failures,
)

LIMIT = 5
WINDOW_S = 60


@pytest.fixture
def server(database_url: str, request: pytest.FixtureRequest) -> Iterator[Flask]:
    overrides: dict[str, Any] = {"auth_failures_max": LIMIT, "auth_failures_window_s": WINDOW_S}
    overrides.update(getattr(request, "param", {}))
    app = create_app(make_settings(database_url, **overrides))
    yield app
    app.extensions["payment_service"].close()


@pytest.fixture
def runtime(server: Flask) -> Runtime:
    return server.extensions["payment_service"]


@pytest.fixture
def clock(runtime: Runtime) -> ManualClock:
    clock = ManualClock()
    runtime.clock = clock
    return clock


@pytest.fixture
def bcrypt(monkeypatch: pytest.MonkeyPatch) -> BcryptCounter:
    counter = BcryptCounter(crypto.bcrypt_check)
    monkeypatch.setattr(crypto, "bcrypt_check", counter)
    return counter


@pytest.fixture
def http(server: Flask) -> FlaskClient:
    return server.test_client()


def look_up(
    http: FlaskClient, runtime: Runtime, id: str, password: str, address: str = "192.0.2.1", **kw
) -> tuple[int, Any]:
    """PATCH /payments/reservations/{id}; the decrypted reservation on 200, else the JSON body."""
    cipher = runtime.settings.keys.connection
    response = http.patch(
        f"/payments/reservations/{id}",
        data=cipher.encrypt_json({"password": password}),
        headers={"Content-Type": "text/plain", **kw.pop("headers", {})},
        environ_base={"REMOTE_ADDR": address},
    )
    if response.status_code == 200:
        return 200, cipher.decrypt_json(response.get_data())
    return response.status_code, (response.get_json(), response.headers.get("Retry-After"))


# --- the verified-credential cache -------------------------------------------------------------


def test_a_repeated_look_up_skips_bcrypt_until_the_entry_expires(http, runtime, clock, bcrypt):
    id = seed_reservation(runtime)
    status, body = look_up(http, runtime, id, PASSWORD)
    assert (status, body["id"], body["data"]) == (200, id, {"card": "4330-****"})
    assert bcrypt.calls == 1  # the first check of a pair costs exactly one bcrypt
    for _ in range(5):
        assert look_up(http, runtime, id, PASSWORD)[0] == 200
    assert bcrypt.calls == 1
    clock.advance(runtime.settings.password_cache_s + 1)
    assert look_up(http, runtime, id, PASSWORD)[0] == 200
    assert bcrypt.calls == 2


def test_the_cache_holds_tags_not_passwords(http, runtime, clock):
    id = seed_reservation(runtime)
    look_up(http, runtime, id, PASSWORD)
    cache = runtime.passwords.credentials
    assert len(cache) == 1
    entry = cache._entries[id]
    assert PASSWORD.encode() not in entry.password_tag + entry.hash_tag
    assert len(entry.password_tag) == len(entry.hash_tag) == 32


def test_a_changed_password_hash_misses_the_cache(http, runtime, clock, bcrypt):
    id = seed_reservation(runtime)
    assert look_up(http, runtime, id, PASSWORD)[0] == 200
    change_password(runtime, id, "the-new-password")
    status, (body, _) = look_up(http, runtime, id, PASSWORD)
    assert (status, body["message"]) == (403, "Wrong password.")
    assert bcrypt.calls == 2
    assert id not in runtime.passwords.credentials._entries  # the stale entry is dropped
    assert look_up(http, runtime, id, "the-new-password")[0] == 200
    assert look_up(http, runtime, id, "the-new-password")[0] == 200
    assert bcrypt.calls == 3


def test_a_wrong_password_is_never_answered_from_the_cache(http, runtime, clock, bcrypt):
    id = seed_reservation(runtime)
    assert look_up(http, runtime, id, PASSWORD)[0] == 200
    for guess in (WRONG, PASSWORD + "x", PASSWORD[:-1]):
        status, (body, _) = look_up(http, runtime, id, guess)
        assert (status, body["statusCode"]) == (403, 403)
    assert bcrypt.calls == 4  # every wrong guess paid its bcrypt
    assert look_up(http, runtime, id, PASSWORD)[0] == 200  # and did not evict the right one
    assert bcrypt.calls == 4


def test_one_records_password_does_not_open_another(http, runtime, clock, bcrypt):
    first = seed_reservation(runtime, source_id="a")
    second = seed_reservation(runtime, "another-password", source_id="b")
    assert look_up(http, runtime, first, PASSWORD)[0] == 200
    assert look_up(http, runtime, second, PASSWORD)[0] == 403
    assert bcrypt.calls == 2


@pytest.mark.parametrize("server", [{"password_cache_s": 0}], indirect=True)
def test_a_zero_time_to_live_turns_the_cache_off(http, runtime, clock, bcrypt):
    id = seed_reservation(runtime)
    for _ in range(3):
        assert look_up(http, runtime, id, PASSWORD)[0] == 200
    assert bcrypt.calls == 3
    assert len(runtime.passwords.credentials) == 0


def test_unknown_records_and_wrong_passwords_each_cost_one_bcrypt(http, runtime, clock, bcrypt):
    id = seed_reservation(runtime)
    assert look_up(http, runtime, id, WRONG)[0] == 403
    assert bcrypt.calls == 1
    assert look_up(http, runtime, str(uuid.uuid4()), WRONG)[0] == 404
    assert bcrypt.calls == 2
    assert look_up(http, runtime, str(uuid.uuid4()), PASSWORD)[0] == 404
    assert bcrypt.calls == 3


# --- the failure throttle ----------------------------------------------------------------------


def fail(http, runtime, id, times, address="192.0.2.1", **kw) -> None:
    for _ in range(times):
        assert look_up(http, runtime, id, WRONG, address, **kw)[0] in (403, 404)


def test_the_throttle_engages_at_the_limit_and_releases_after_the_window(
    http, runtime, clock, bcrypt
):
    id = seed_reservation(runtime)
    fail(http, runtime, id, LIMIT - 1)
    fail(http, runtime, str(uuid.uuid4()), 1)  # unknown records count as failures too
    assert bcrypt.calls == LIMIT
    clock.advance(10)
    for password in (WRONG, PASSWORD):  # refused whatever it tries, without bcrypt
        status, (body, retry_after) = look_up(http, runtime, id, password)
        assert status == 429
        assert body["statusCode"] == 429 and body["error"] == "Too Many Requests"
        assert retry_after == str(WINDOW_S - 10)
    assert bcrypt.calls == LIMIT
    assert stored_failures(runtime) == ["192.0.2.1"] * LIMIT  # refusals are not failures
    clock.advance(WINDOW_S - 10)
    assert look_up(http, runtime, id, PASSWORD)[0] == 200


def test_the_window_slides(http, runtime, clock):
    id = seed_reservation(runtime)
    fail(http, runtime, id, LIMIT - 1)
    clock.advance(WINDOW_S / 2)
    fail(http, runtime, id, 1)
    assert look_up(http, runtime, id, WRONG)[0] == 429
    clock.advance(WINDOW_S / 2)  # the first LIMIT - 1 age out; one failure is left
    fail(http, runtime, id, LIMIT - 1)
    status, (_, retry_after) = look_up(http, runtime, id, WRONG)
    assert (status, retry_after) == (429, str(WINDOW_S // 2))


def test_other_clients_are_not_refused(http, runtime, clock):
    id = seed_reservation(runtime)
    fail(http, runtime, str(uuid.uuid4()), LIMIT, address="192.0.2.1")
    assert look_up(http, runtime, id, PASSWORD, "192.0.2.1")[0] == 429
    assert look_up(http, runtime, id, PASSWORD, "198.51.100.7")[0] == 200
    fail(http, runtime, id, LIMIT - 1, address="198.51.100.7")
    assert look_up(http, runtime, id, PASSWORD, "198.51.100.7")[0] == 200


def test_ipv6_clients_are_counted_per_64_block(http, runtime, clock):
    id = seed_reservation(runtime)
    for host in range(LIMIT):  # a different address each time, one /64
        fail(http, runtime, str(uuid.uuid4()), 1, address=f"2001:db8:1:2::{host + 1:x}")
    assert look_up(http, runtime, id, PASSWORD, "2001:db8:1:2::ffff")[0] == 429
    assert look_up(http, runtime, id, PASSWORD, "2001:db8:1:3::1")[0] == 200


SITE_LIMIT = 8


@pytest.mark.parametrize("server", [{"auth_failures_ipv6_48_max": SITE_LIMIT}], indirect=True)
def test_ipv6_sites_are_counted_per_48_block_too(http, runtime, clock):
    """Issue 24 item 17: one /48 holds 65,536 /64s, each its own client budget; the /48 has
    one of its own."""
    id = seed_reservation(runtime)
    for block in range(SITE_LIMIT):  # a different /64 each time, one /48
        fail(http, runtime, str(uuid.uuid4()), 1, address=f"2001:db8:1:{block + 1:x}::1")
    status, (body, retry_after) = look_up(http, runtime, id, PASSWORD, "2001:db8:1:ff::1")
    assert (status, body["statusCode"], retry_after) == (429, 429, str(WINDOW_S))
    assert look_up(http, runtime, id, PASSWORD, "2001:db8:2:1::1")[0] == 200  # another /48
    assert stored_failures(runtime).count("2001:db8:1::/48") == SITE_LIMIT


def test_the_48_budget_defaults_to_four_client_budgets(runtime):
    assert runtime.settings.ipv6_48_failures_max == 4 * LIMIT
    budgets = runtime.passwords.budgets("2001:db8:1:2::/64", "r")
    assert [(b.scope, b.limit) for b in budgets] == [
        ("2001:db8:1:2::/64", LIMIT),
        ("2001:db8:1::/48", 4 * LIMIT),
        ("record:r", LIMIT),
    ]
    assert [b.scope for b in runtime.passwords.budgets("192.0.2.1", None)] == ["192.0.2.1"]


def test_cancels_are_throttled_too(http, runtime, clock, bcrypt):
    cipher = runtime.settings.keys.connection
    fail(http, runtime, str(uuid.uuid4()), LIMIT)
    body = {
        "source": {"schema": "s", "table": "t", "id": str(uuid.uuid4())},
        "password": PASSWORD,
        "price": 1000,
        "reason": "r",
        "account": None,
    }
    response = http.put(
        "/payments/histories/cancel",
        data=cipher.encrypt_json(body),
        headers={"Content-Type": "text/plain"},
        environ_base={"REMOTE_ADDR": "192.0.2.1"},
    )
    assert response.status_code == 429
    assert bcrypt.calls == LIMIT
    clock.advance(WINDOW_S)
    response = http.put(
        "/payments/histories/cancel",
        data=cipher.encrypt_json(body),
        headers={"Content-Type": "text/plain"},
        environ_base={"REMOTE_ADDR": "192.0.2.1"},
    )
    assert response.status_code == 404  # no such payment: checked, and counted
    assert stored_failures(runtime) == ["192.0.2.1"]  # the older ones were purged


@pytest.mark.parametrize("server", [{"auth_failures_max": 0}], indirect=True)
def test_a_zero_limit_turns_the_throttle_off(http, runtime, clock):
    id = seed_reservation(runtime)
    fail(http, runtime, id, LIMIT + 2)
    assert look_up(http, runtime, id, PASSWORD)[0] == 200
    assert stored_failures(runtime) == []


def test_old_failures_are_purged(http, runtime, clock):
    id = seed_reservation(runtime)
    fail(http, runtime, id, 3)
    clock.advance(WINDOW_S + 1)
    fail(http, runtime, id, 1, address="198.51.100.7")
    assert stored_failures(runtime) == ["198.51.100.7"]


# --- which address a request comes from --------------------------------------------------------

FORWARDED = {"X-Forwarded-For": "203.0.113.9, 198.51.100.20"}


def test_forwarded_addresses_are_ignored_without_trusted_proxies(http, runtime, clock):
    id = seed_reservation(runtime)
    fail(http, runtime, id, 1, address="127.0.0.1", headers=FORWARDED)
    assert stored_failures(runtime) == ["127.0.0.1"]


@pytest.mark.parametrize(
    "server", [{"trusted_proxies": (ipaddress.ip_network("127.0.0.0/8"),)}], indirect=True
)
def test_forwarded_addresses_count_when_the_peer_is_a_trusted_proxy(http, runtime, clock):
    id = seed_reservation(runtime)
    nowhere = str(uuid.uuid4())  # failures on no record, which spend no record's budget
    fail(http, runtime, nowhere, 1, address="127.0.0.1", headers=FORWARDED)
    fail(http, runtime, nowhere, 1, address="192.0.2.1", headers=FORWARDED)  # not a proxy of ours
    assert stored_failures(runtime) == ["198.51.100.20", "192.0.2.1"]
    fail(http, runtime, nowhere, LIMIT - 1, address="127.0.0.1", headers=FORWARDED)
    throttled = look_up(http, runtime, id, PASSWORD, "127.0.0.1", headers=FORWARDED)
    assert throttled[0] == 429
    other = {"X-Forwarded-For": "198.51.100.21"}  # another client behind the same proxy
    assert look_up(http, runtime, id, PASSWORD, "127.0.0.1", headers=other)[0] == 200


def test_failures_through_another_server_count_here_at_once(database_url, http, runtime, clock):
    """Two servers on one database (as two processes would be) spend one budget: every check
    that runs bcrypt is counted in the database before it runs."""
    id = seed_reservation(runtime)
    other = create_app(make_settings(database_url, auth_failures_max=LIMIT))
    other_runtime: Runtime = other.extensions["payment_service"]
    other_runtime.clock = clock
    try:
        fail(other.test_client(), other_runtime, str(uuid.uuid4()), LIMIT - 1)
        fail(http, runtime, str(uuid.uuid4()), 1)  # the limit is reached here
        for client in (http, other.test_client()):
            status, (_, retry_after) = look_up(client, runtime, id, PASSWORD)
            assert (status, retry_after) == (429, str(WINDOW_S))
    finally:
        other_runtime.close()


# --- per record: many clients against one record --------------------------------------------


def test_a_record_takes_at_most_the_limit_of_wrong_passwords_from_all_clients(
    http, runtime, clock, bcrypt
):
    id = seed_reservation(runtime)
    for n in range(LIMIT):  # each from its own address, so no client budget is spent
        fail(http, runtime, id, 1, address=f"198.51.100.{n + 1}")
    status, (body, retry_after) = look_up(http, runtime, id, WRONG, "203.0.113.50")
    assert (status, body["statusCode"], retry_after) == (429, 429, str(WINDOW_S))
    assert bcrypt.calls == LIMIT
    assert stored_failures(runtime, records=True).count(f"record:{id}") == LIMIT
    # Another record is not affected.
    other = seed_reservation(runtime, source_id="other")
    assert look_up(http, runtime, other, PASSWORD, "203.0.113.50")[0] == 200
    clock.advance(WINDOW_S)
    assert look_up(http, runtime, id, PASSWORD, "203.0.113.50")[0] == 200


def test_a_right_password_is_not_counted(http, runtime, clock):
    id = seed_reservation(runtime)
    runtime.passwords.credentials.clear()
    for _ in range(LIMIT + 2):  # every one runs bcrypt (the cache is emptied), none counts
        assert look_up(http, runtime, id, PASSWORD)[0] == 200
        runtime.passwords.credentials.clear()
    assert stored_failures(runtime, records=True) == []


# --- a good client is never locked out (issue 24 item 4) ---------------------------------------


def test_a_cached_password_is_never_throttled_by_its_neighbours(http, runtime, clock, bcrypt):
    """Behind one NAT (or one proxy nobody declared), an attacker spends the address's budget;
    the service polling with its right, cached password keeps being answered."""
    id = seed_reservation(runtime)
    assert look_up(http, runtime, id, PASSWORD, "192.0.2.1")[0] == 200
    fail(http, runtime, str(uuid.uuid4()), LIMIT, address="192.0.2.1")
    assert look_up(http, runtime, id, WRONG, "192.0.2.1")[0] == 429
    for _ in range(3):
        status, body = look_up(http, runtime, id, PASSWORD, "192.0.2.1")
        assert (status, body["id"]) == (200, id)
    assert bcrypt.calls == 1 + LIMIT


def test_a_cached_password_is_never_throttled_by_guesses_at_its_record(
    http, runtime, clock, bcrypt
):
    id = seed_reservation(runtime)
    assert look_up(http, runtime, id, PASSWORD, "192.0.2.1")[0] == 200
    for n in range(LIMIT):  # the record's budget, spent from everywhere
        fail(http, runtime, id, 1, address=f"198.51.100.{n + 1}")
    assert look_up(http, runtime, id, WRONG, "203.0.113.1")[0] == 429
    assert look_up(http, runtime, id, PASSWORD, "192.0.2.1")[0] == 200
    assert bcrypt.calls == 1 + LIMIT


# --- checks still running (issue 31): a burst of right passwords is served, not refused ------


def running_checks(runtime: Runtime, scope: str, count: int) -> list[str]:
    """`count` checks reserved against `scope` and still running (as on another process)."""
    attempts = [str(uuid.uuid4()) for _ in range(count)]
    with runtime.database.transaction() as session:
        for attempt in attempts:
            auth_failures.add(session, [scope], runtime.clock(), attempt)
    return attempts


def test_a_budget_filled_by_running_checks_waits_for_them(http, runtime, clock, bcrypt):
    """The client's budget is full of checks still running; they answer (right passwords)
    while this check waits, so it runs and is served instead of being refused."""
    id = seed_reservation(runtime)
    attempts = running_checks(runtime, "192.0.2.1", LIMIT)
    answered = threading.Timer(
        0.3, lambda: [runtime.passwords.throttle.settle(a, failed=False) for a in attempts]
    )
    started = time.monotonic()
    answered.start()
    status, body = look_up(http, runtime, id, PASSWORD)
    answered.join()
    assert (status, body["id"]) == (200, id)
    assert time.monotonic() - started >= 0.3  # it waited for them
    assert bcrypt.calls == 1
    assert stored_failures(runtime, records=True) == []


def test_running_checks_that_turn_out_wrong_leave_the_budget_spent(http, runtime, clock, bcrypt):
    id = seed_reservation(runtime)
    attempts = running_checks(runtime, "192.0.2.1", LIMIT)
    answered = threading.Timer(
        0.2, lambda: [runtime.passwords.throttle.settle(a, failed=True) for a in attempts]
    )
    answered.start()
    status, (body, retry_after) = look_up(http, runtime, id, PASSWORD)
    answered.join()
    assert (status, body["statusCode"], retry_after) == (429, 429, str(WINDOW_S))
    assert bcrypt.calls == 0
    assert stored_failures(runtime) == ["192.0.2.1"] * LIMIT


def test_running_checks_that_never_answer_refuse_after_the_wait(http, runtime, clock, bcrypt):
    """A process that died mid-check leaves its reservation running until the window ends:
    a check waits `in_flight_wait_s` for it, then gets 429, to retry in a second."""
    id = seed_reservation(runtime)
    runtime.passwords.throttle.in_flight_wait_s = 0.3
    running_checks(runtime, f"record:{id}", LIMIT)
    started = time.monotonic()
    status, (body, retry_after) = look_up(http, runtime, id, PASSWORD)
    assert (status, body["statusCode"], retry_after) == (429, 429, "1")
    assert time.monotonic() - started >= 0.3  # it waited for them first
    assert bcrypt.calls == 0
    assert stored_failures(runtime, records=True) == [f"record:{id}"] * LIMIT
    clock.advance(WINDOW_S)  # they age out like failures
    assert look_up(http, runtime, id, PASSWORD)[0] == 200


def test_a_wrong_password_stays_counted_as_a_failure_not_as_running(http, runtime, clock):
    fail(http, runtime, str(uuid.uuid4()), 1)  # an unknown record (its bcrypt burnt)
    id = seed_reservation(runtime)
    fail(http, runtime, id, 1)
    with runtime.database.transaction() as session:
        rows = session.execute(select(AuthFailure.client, AuthFailure.pending)).all()
    assert sorted(rows) == sorted(
        [("192.0.2.1", False), ("192.0.2.1", False), (f"record:{id}", False)]
    )

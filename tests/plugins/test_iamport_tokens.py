"""iamport access tokens: cached per credentials, refreshed before expiry, one fetch at a time."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from payment_vendor_iamport import IamportVendor, IssuedToken, TokenCache
from werkzeug.wrappers import Request, Response

from fake_servers.iamport import FakeIamport
from payment_service.vendors import GatewayError, GatewayUnavailable

from .support import (
    IAMPORT_CREDENTIALS,
    Intercept,
    Recorder,
    json_response,
    serve,
    vendor_behind,
    vendor_settings,
)

TOKEN = ("POST", "/users/getToken")
LIFETIME_S = 1800


class Clock:
    def __init__(self, now: float = 1_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def lasting_tokens(request: Request, response: Response) -> None:
    """Make the fake's tokens last 30 minutes, as real iamport's do (the fake's are issued
    already expired)."""
    if (request.method, request.path) == TOKEN and response.status_code == 201:
        body = json.loads(response.get_data())
        body["response"]["expired_at"] = body["response"]["now"] + LIFETIME_S
        response.set_data(json.dumps(body))


@contextmanager
def iamport_behind(
    fake: FakeIamport,
    *,
    lasting: bool,
    intercept: Intercept | None = None,
    clock: Callable[[], float] = time.time,
    stores: dict[str, Any] | None = None,
) -> Iterator[tuple[IamportVendor, Recorder]]:
    """A vendor talking to the fake through a Recorder."""
    recorder = Recorder(fake.app, intercept, lasting_tokens if lasting else None)
    with serve(recorder) as url:
        options = {"base_url": url, "default": IAMPORT_CREDENTIALS, "stores": stores or {}}
        settings = vendor_settings({"iamport": options})
        yield IamportVendor(IamportVendor.from_settings(settings).options, clock=clock), recorder


def run_together(count: int, call: Callable[[], Any]) -> list[Any]:
    """Run `call` on `count` threads released at once; returns results or raised errors."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def worker(index: int) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except Exception as error:
            results[index] = error

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


# ---- against the fake ------------------------------------------------------------------------


def fetch_payment_times(iamport: FakeIamport, *, lasting: bool, calls: int) -> Recorder:
    """Fetch one payment `calls` times through `iamport_behind`; the recorder of the requests."""
    uid = iamport.pay_by_card(1000, "o")["imp_uid"]
    with iamport_behind(iamport, lasting=lasting) as (vendor, recorder):
        for _ in range(calls):
            vendor.fetch_payment("store", uid)
    return recorder


def test_an_expired_token_is_fetched_for_every_call(iamport: FakeIamport):
    assert fetch_payment_times(iamport, lasting=False, calls=3).count(*TOKEN) == 3


def test_a_lasting_token_is_reused(iamport: FakeIamport):
    recorder = fetch_payment_times(iamport, lasting=True, calls=5)
    assert recorder.count(*TOKEN) == 1
    tokens = {r.headers["Authorization"] for r in recorder.requests if r.path != TOKEN[1]}
    assert len(tokens) == 1
    # The raw token, no "Bearer".
    assert not next(iter(tokens)).startswith("Bearer")


def test_the_token_is_refreshed_15_seconds_before_it_expires(iamport: FakeIamport):
    uid = iamport.pay_by_card(1000, "o")["imp_uid"]
    clock = Clock()
    with iamport_behind(iamport, lasting=True, clock=clock) as (vendor, recorder):
        vendor.fetch_payment("store", uid)
        clock.now += LIFETIME_S - 15 - 0.5
        vendor.fetch_payment("store", uid)
        assert recorder.count(*TOKEN) == 1
        clock.now += 1
        vendor.fetch_payment("store", uid)
        assert recorder.count(*TOKEN) == 2


@pytest.mark.parametrize(("lasting", "most_tokens"), [(True, 1), (False, 20)])
def test_twenty_concurrent_calls_fetch_at_most_one_token_each(
    iamport: FakeIamport, lasting: bool, most_tokens: int
):
    """A lasting token is shared by all twenty calls; tokens issued already expired are
    fetched at most once per call."""
    uid = iamport.pay_by_card(1000, "o")["imp_uid"]
    with iamport_behind(iamport, lasting=lasting) as (vendor, recorder):
        results = run_together(20, lambda: vendor.fetch_payment("store", uid))
    assert all(isinstance(result, dict) for result in results), results
    assert 1 <= recorder.count(*TOKEN) <= most_tokens


def test_each_credentials_have_their_own_token(iamport: FakeIamport):
    iamport.state.credentials["store_b_key"] = "store_b_secret"
    uid = iamport.pay_by_card(1000, "o")["imp_uid"]
    stores = {"store-b": {"imp_key": "store_b_key", "imp_secret": "store_b_secret"}}
    with iamport_behind(iamport, lasting=True, stores=stores) as (vendor, recorder):
        for store in ("store-a", "store-b", "store-a", "store-c", "store-b"):
            vendor.fetch_payment(store, uid)
    issued_for = [r for r in recorder.requests if (r.method, r.path) == TOKEN]
    # store-a and store-c share the default credentials, hence one token.
    assert len(issued_for) == 2


def test_a_token_iamport_no_longer_honours_is_replaced_once(iamport: FakeIamport):
    uid = iamport.pay_by_card(1000, "o")["imp_uid"]
    refused: list[str] = []

    def revoke_first_token(request: Request) -> Response | None:
        if request.path.startswith("/payments/") and not refused:
            refused.append(request.headers["Authorization"])
            return json_response(401, {"code": -1, "message": "Unauthorized", "response": None})
        return None

    with iamport_behind(iamport, lasting=True, intercept=revoke_first_token) as (vendor, rec):
        assert vendor.fetch_payment("store", uid)["imp_uid"] == uid
        vendor.fetch_payment("store", uid)
    assert rec.count(*TOKEN) == 2
    used = [r.headers["Authorization"] for r in rec.requests if r.path.startswith("/payments/")]
    assert used[0] == refused[0] and used[1] == used[2] != refused[0]


def test_wrong_credentials_are_a_502(iamport: FakeIamport, iamport_vendor: IamportVendor):
    iamport.state.credentials = {"other_key": "other_secret"}
    with pytest.raises(GatewayError) as raised:
        iamport_vendor.fetch_payment("store", "imp_1")
    assert raised.value.status == 502
    assert raised.value.message == (
        "iamport refused this server's credentials: Wrong authorization key values."
    )


# ---- the cache on its own --------------------------------------------------------------------


def test_cache_reuses_a_token_until_the_margin():
    clock = Clock(100.0)
    cache = TokenCache(clock=clock)
    issued: list[int] = []

    def issue() -> IssuedToken:
        issued.append(1)
        return IssuedToken(f"t{len(issued)}", clock.now + 60)

    assert cache.get("k", issue) == "t1"
    clock.now += 44.9
    assert cache.get("k", issue) == "t1"
    clock.now += 0.2
    assert cache.get("k", issue) == "t2"


def test_cache_discards_only_the_refused_token():
    cache = TokenCache(clock=lambda: 0.0)
    tokens = iter(["t1", "t2"])
    assert cache.get("k", lambda: IssuedToken(next(tokens), 3600)) == "t1"
    cache.discard("k", "stale")
    assert cache.get("k", lambda: IssuedToken(next(tokens), 3600)) == "t1"
    cache.discard("k", "t1")
    assert cache.get("k", lambda: IssuedToken(next(tokens), 3600)) == "t2"


@pytest.mark.realtime  # a token fetch that really takes time
def test_waiters_share_the_fetch_in_flight_even_if_it_is_stamped_expired():
    cache = TokenCache(clock=time.time)
    calls: list[int] = []

    def slow_issue() -> IssuedToken:
        calls.append(1)
        time.sleep(0.2)
        return IssuedToken(f"t{len(calls)}", time.time() - 180)

    results = run_together(20, lambda: cache.get("k", slow_issue))
    assert len(calls) == 1
    assert results == ["t1"] * 20


@pytest.mark.realtime  # a token fetch that really takes time
def test_waiters_get_the_failure_of_the_fetch_in_flight():
    cache = TokenCache()
    calls: list[int] = []

    def failing_issue() -> IssuedToken:
        calls.append(1)
        time.sleep(0.2)
        raise GatewayUnavailable("iamport cannot be reached", vendor="iamport")

    results = run_together(20, lambda: cache.get("k", failing_issue))
    assert len(calls) == 1
    assert all(isinstance(result, GatewayUnavailable) for result in results)
    # The failure is not cached: the next call tries again.
    assert cache.get("k", lambda: IssuedToken("t", time.time() + 60)) == "t"


def test_token_lifetime_is_measured_on_iamports_clock(iamport: FakeIamport):
    """iamport's clock is 1 hour ahead of ours: the 30-minute token still lasts 30 minutes."""

    def skewed(request: Request, response: Response) -> None:
        if request.path == TOKEN[1]:
            body = json.loads(response.get_data())
            body["response"]["now"] += 3600
            body["response"]["expired_at"] = body["response"]["now"] + LIFETIME_S
            response.set_data(json.dumps(body))

    recorder = Recorder(iamport.app, rewrite=skewed)
    with vendor_behind(IamportVendor.from_settings, "iamport", recorder) as vendor:
        issued = vendor.api.issue_token(IAMPORT_CREDENTIALS)
    assert issued.expires_at - time.time() == pytest.approx(LIFETIME_S, abs=5)

"""Server processes on one database count failures together: two single-worker servers, and
one server of several gunicorn workers hammered by threads (issue 24 item 3)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import closing

import pytest
import requests

from payment_service.app import create_runtime
from payment_service.crypto import Cipher
from payment_service.runtime import Runtime
from tests.conftest import make_settings
from tests.support.servers import free_port, wait_for_health
from tests.support.threads import on_threads

from .support import PASSWORD, WRONG, seed_reservation, stored_failures

LIMIT = 4
SERVE = [sys.executable, "-m", "payment_service.cli", "serve"]


@pytest.fixture
def runtime(database_url: str) -> Iterator[Runtime]:
    with closing(create_runtime(make_settings(database_url))) as runtime:
        yield runtime


@pytest.fixture
def servers(database_url: str, request: pytest.FixtureRequest) -> Iterator[list[str]]:
    """Served instances on one database: `(count, workers)` from the test's parameter."""
    count, workers = getattr(request, "param", (2, 1))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYMENT_")}
    env.update(
        PAYMENT_DATABASE_URL=database_url,
        PAYMENT_LOAD_PLUGINS="false",
        PAYMENT_AUTH_FAILURES_MAX=str(LIMIT),
        PAYMENT_TRUSTED_PROXIES="127.0.0.1/32",
    )
    ports = [free_port() for _ in range(count)]
    processes = [
        subprocess.Popen(
            [*SERVE, "--port", str(port), "--workers", str(workers)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for port in ports
    ]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for url, process in zip(urls, processes, strict=True):
            # Generous: two servers boot at once on a loaded machine.
            wait_for_health(url, process, timeout=90)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def test_failures_on_one_process_count_on_the_other(servers, runtime):
    id = seed_reservation(runtime)
    cipher: Cipher = runtime.settings.keys.connection

    nowhere = str(uuid.uuid4())  # the attacker guesses at no record: no record's budget

    def look_up(url: str, password: str, client: str) -> requests.Response:
        return requests.patch(
            f"{url}/payments/reservations/{id if password == PASSWORD else nowhere}",
            data=cipher.encrypt_json({"password": password}),
            headers={"Content-Type": "text/plain", "X-Forwarded-For": client},
            timeout=30,
        )

    first, second = servers
    for n in range(LIMIT):  # the attacker alternates between the processes
        assert look_up(servers[n % 2], WRONG, "203.0.113.1").status_code == 404
    for url in (first, second):
        refused = look_up(url, PASSWORD, "203.0.113.1")
        assert refused.status_code == 429
        assert refused.json()["statusCode"] == 429
        assert 0 < int(refused.headers["Retry-After"]) <= 60
        # Another client behind the same proxy is served by both.
        served = look_up(url, PASSWORD, "203.0.113.2")
        assert served.status_code == 200
        assert cipher.decrypt_json(served.text)["id"] == id


GUESSES = 40


@pytest.mark.parametrize("servers", [(1, 2)], indirect=True)
def test_concurrent_guesses_on_several_workers_run_at_most_the_limit(servers, runtime):
    """40 wrong guesses at once (threads against 2 gunicorn workers of 32 threads each): the
    attempt is reserved in the database before bcrypt, so at most LIMIT are checked (403)
    and the rest refused (429), for the client and for the record alike."""
    (url,) = servers
    id = seed_reservation(runtime)
    cipher: Cipher = runtime.settings.keys.connection
    statuses: list[int] = []
    lock = threading.Lock()
    counter = iter(range(GUESSES))

    def guess() -> None:
        with lock:
            n = next(counter)
        # Half from one client (its budget), half each from its own (only the record's).
        client = "203.0.113.1" if n % 2 else f"198.51.100.{n}"
        answer = requests.patch(
            f"{url}/payments/reservations/{id}",
            data=cipher.encrypt_json({"password": f"{WRONG}-{n}"}),
            headers={"Content-Type": "text/plain", "X-Forwarded-For": client},
            timeout=60,
        )
        with lock:
            statuses.append(answer.status_code)

    on_threads(GUESSES, guess)
    assert sorted(set(statuses)) == [403, 429]
    assert statuses.count(403) <= LIMIT
    assert stored_failures(runtime, records=True).count(f"record:{id}") == statuses.count(403)


BURST = 4 * LIMIT


@pytest.mark.parametrize("servers", [(1, 2)], indirect=True)
def test_a_burst_of_right_passwords_from_one_client_is_served(servers, runtime):
    """A service looks up 4 × LIMIT of its payments at once, each for the first time (bcrypt
    each), from one address: the checks still running fill its budget, and the others wait
    for them instead of being refused. Every one is answered 200 and nothing stays counted."""
    (url,) = servers
    ids = [seed_reservation(runtime, source_id=f"burst-{n}") for n in range(BURST)]
    cipher: Cipher = runtime.settings.keys.connection
    answers: dict[str, tuple[int, str]] = {}
    lock = threading.Lock()
    pending = iter(ids)

    def look_up() -> None:
        with lock:
            id = next(pending)
        answer = requests.patch(
            f"{url}/payments/reservations/{id}",
            data=cipher.encrypt_json({"password": PASSWORD}),
            headers={"Content-Type": "text/plain", "X-Forwarded-For": "203.0.113.7"},
            timeout=60,
        )
        with lock:
            answers[id] = (answer.status_code, answer.text)

    on_threads(BURST, look_up)
    assert sorted(status for status, _ in answers.values()) == [200] * BURST, answers
    for id, (_, body) in answers.items():
        assert cipher.decrypt_json(body)["id"] == id
    assert stored_failures(runtime, records=True) == []

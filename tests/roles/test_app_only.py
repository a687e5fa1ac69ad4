"""`create_app` only builds the app: the API's workers run no background work, and the
metrics' series cache stays bounded whatever methods clients send."""

from __future__ import annotations

import random
import string
import threading

from payment_service.app import create_app
from payment_service.observability import metrics
from tests.conftest import make_settings

BACKGROUND = ("webhook-delivery", "housekeeper", "refund-settler", "outbox-listener")


def test_building_the_app_starts_no_thread(tmp_path):
    before = {thread.ident for thread in threading.enumerate()}
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'db.sqlite3'}"))
    try:
        started = [t.name for t in threading.enumerate() if t.ident not in before]
        assert [name for name in started if name.startswith(BACKGROUND)] == []
        assert started == []
    finally:
        app.extensions["payment_service"].close()


def counted_as_other() -> float:
    return sum(
        sample.value
        for family in metrics.HTTP_REQUESTS.collect()
        for sample in family.samples
        if sample.name.endswith("_total") and sample.labels["method"] == "other"
    )


def test_random_methods_do_not_grow_the_series_cache(tmp_path):
    """Any token is a valid HTTP method: 2,000 requests with random ones are counted under
    `other`, with one cached series, not 2,000."""
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'db.sqlite3'}"))
    rng = random.Random(12)
    try:
        client = app.test_client()
        status = client.open("/monitors/health", method="BREW").status_code  # the first
        cached = len(metrics._http_children)
        before = counted_as_other()
        for _ in range(2000):
            method = "".join(rng.choices(string.ascii_uppercase, k=12))
            assert client.open("/monitors/health", method=method).status_code == status
        assert len(metrics._http_children) == cached
        assert counted_as_other() - before == 2000
    finally:
        app.extensions["payment_service"].close()

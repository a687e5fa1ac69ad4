"""Request ids, the metrics switch, the log formats and the delivery process's metrics port."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from flask import Flask

from payment_service.app import create_app, create_runtime
from payment_service.db import Database
from payment_service.db.migrate import upgrade
from payment_service.observability import request_ids
from payment_service.observability.logs import JsonFormatter, RequestIdFilter, TextFormatter
from payment_service.settings import Settings, SettingsError
from payment_service.testing import WebhookReceiver
from tests.conftest import make_settings
from tests.delivery.conftest import seed
from tests.delivery.test_durability import environment
from tests.support.servers import wait_until

DELIVER = [sys.executable, "-m", "payment_service.cli", "webhooks", "deliver"]


@pytest.mark.parametrize(
    "offered", ["abc-123", "req_1.2:3", "0af7651916cd43dd8448eb211c80319c", "x" * 128]
)
def test_a_sane_request_id_is_kept(offered: str) -> None:
    assert request_ids.accept_or_generate(offered) == offered


@pytest.mark.parametrize(
    "offered", [None, "", "x" * 129, "two words", "line\nbreak", 'quote"', "ключ", "a;b"]
)
def test_any_other_is_replaced_by_a_fresh_one(offered: str | None) -> None:
    assert re.fullmatch(r"[0-9a-f]{32}", request_ids.accept_or_generate(offered))


def test_every_answer_carries_the_id_and_metrics_can_be_switched_off(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'off.sqlite3'}"
    app: Flask = create_app(make_settings(url, metrics=False))
    try:
        client = app.test_client()
        assert client.get("/metrics").status_code == 404
        answer = client.get("/metrics", headers={"X-Request-Id": "off-1"})
        assert answer.headers["X-Request-Id"] == "off-1"
        preflight = client.options("/payments/histories", headers={"X-Request-Id": "pre-1"})
        assert preflight.status_code == 204
        assert preflight.headers["X-Request-Id"] == "pre-1"
    finally:
        app.extensions["payment_service"].close()


def test_the_log_format_is_validated() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.load(environ={"PAYMENT_LOG_FORMAT": "xml"}, env_file=None)
    assert "PAYMENT_LOG_FORMAT: must be one of text, json (got 'xml')" in str(caught.value)
    assert Settings.load(environ={}, env_file=None).log_format == "text"
    assert Settings.load(environ={"PAYMENT_METRICS": "off"}, env_file=None).metrics is False


def test_formats_carry_the_request_id_of_the_thread() -> None:
    record = logging.LogRecord(
        "payment_service.x", logging.WARNING, __file__, 1, "hi %s", ("you",), None
    )
    with request_ids.bound("rid-7"):
        RequestIdFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "rid-7"
    assert line["message"] == "hi you"
    assert line["level"] == "WARNING"
    assert "[rid-7] hi you" in TextFormatter().format(record)


def test_a_delivery_process_serves_its_metrics(database_url: str, tmp_path) -> None:
    settings = make_settings(database_url)
    runtime = create_runtime(settings)
    key, iv = settings.keys.connection.key, settings.keys.connection.iv
    with WebhookReceiver(key, iv) as receiver:
        seed(runtime, receiver.url, payments=2)
        process = subprocess.Popen(
            [*DELIVER, "--metrics-port", "0"],
            env=environment(database_url),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            first = process.stdout.readline()
            url = re.search(r"http://\S+/metrics", first).group(0)
            delivered = 'payment_webhook_deliveries_total{outcome="delivered"} 2.0'
            wait_until(lambda: delivered in requests.get(url, timeout=5).text, 60, interval=0.2)
            assert "payment_webhooks_pending 0.0" in requests.get(url, timeout=5).text
        finally:
            process.terminate()
            process.wait(timeout=30)
    runtime.close()


def test_the_dashboard_only_queries_families_the_server_exposes(tmp_path) -> None:
    dashboard = Path(__file__).parents[2] / "deploy" / "grafana" / "payment-service.json"
    queries = [
        target["expr"]
        for panel in json.loads(dashboard.read_text())["panels"]
        for target in panel["targets"]
    ]
    used = {name for query in queries for name in re.findall(r"\bpayment_[a-z_]+", query)}
    url = f"sqlite:///{tmp_path / 'd.sqlite3'}"
    upgrade(Database(url))
    app = create_app(make_settings(url))
    try:
        client = app.test_client()
        client.get("/monitors/health")
        exposed = client.get("/metrics").get_data(as_text=True)
    finally:
        app.extensions["payment_service"].close()
    families = set(re.findall(r"^# TYPE (\S+)", exposed, re.MULTILINE))
    names = families | {f"{f}_total" for f in families} | {f"{f}_bucket" for f in families}
    assert sorted(used - names) == []
    assert len(used) >= 10

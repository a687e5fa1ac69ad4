"""deploy/prometheus/alerts.yml: a rule file Prometheus loads (YAML, every expression valid
PromQL), naming only metric families the server exposes, and the table of docs/operating.md
shows exactly its rules."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import promql_parser
import pytest
import yaml

from payment_service.app import create_app
from payment_service.db import Database
from payment_service.db.migrate import upgrade
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parents[2]
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
OPERATING = ROOT / "docs" / "operating.md"
# Series Prometheus itself makes for every target.
PROMETHEUS_OWN = {"up"}
DURATION = re.compile(r"^(\d+(ms|s|m|h|d|w|y))+$")


def rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    assert set(document) == {"groups"}
    return [rule for group in document["groups"] for rule in group["rules"]]


def selected_names(node: Any) -> set[str]:
    """The metric names an expression selects (its vector selectors)."""
    if isinstance(node, promql_parser.VectorSelector):
        return {node.name}
    found: set[str] = set()
    for attribute in ("lhs", "rhs", "expr", "args", "vector_selector"):
        child = getattr(node, attribute, None)
        for item in child if isinstance(child, list) else [child]:
            if item is not None and not isinstance(item, (str, int, float)):
                found |= selected_names(item)
    return found


@pytest.fixture(scope="module")
def exposed(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """Every series name the server's /metrics can show (families with their suffixes)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('alerts') / 'db.sqlite3'}"
    upgrade(Database(url))
    app = create_app(make_settings(url))
    try:
        text = app.test_client().get("/metrics").get_data(as_text=True)
    finally:
        app.extensions["payment_service"].close()
    types = dict(re.findall(r"^# TYPE (\S+) (\S+)", text, re.MULTILINE))
    # A counter's TYPE line names it with or without `_total`, by the client's version.
    suffixes = {
        "counter": ["", "_total"],
        "histogram": ["_bucket", "_sum", "_count"],
        "gauge": [""],
    }
    return {name + suffix for name, kind in types.items() for suffix in suffixes[kind]}


def test_every_rule_is_complete_and_parses_as_promql(exposed: set[str]):
    found = rules()
    assert len(found) >= 10
    names = [rule["alert"] for rule in found]
    assert len(names) == len(set(names))
    used: set[str] = set()
    for rule in found:
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule["alert"]
        assert rule["labels"]["severity"] in ("page", "ticket"), rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]
        assert "for" not in rule or DURATION.match(rule["for"]), rule["alert"]
        used |= selected_names(promql_parser.parse(rule["expr"]))
    assert sorted(used - exposed - PROMETHEUS_OWN) == []
    assert len(used & exposed) >= 7  # not vacuous: the server's own families are used


def test_a_broken_expression_would_be_caught():
    with pytest.raises(ValueError):
        promql_parser.parse("sum(rate(payment_http_requests_total[5m]) > 0")
    assert selected_names(promql_parser.parse("max(payment_webhooks_failed) > 0")) == {
        "payment_webhooks_failed"
    }


def test_the_operating_docs_table_is_the_rule_file():
    text = OPERATING.read_text(encoding="utf-8")
    table = re.findall(r"^\| `(Payment\w+)` \| `(.+?)` \| (\S+) \|", text, re.MULTILINE)
    documented = {name: (expr.replace("\\|", "|"), period) for name, expr, period in table}
    assert documented == {rule["alert"]: (rule["expr"], rule.get("for", "—")) for rule in rules()}

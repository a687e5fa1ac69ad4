"""The Prometheus metric families (their names and labels are a contract for dashboards and
alerts), how they are recorded, and how they are exposed.

Labels are bounded: an HTTP method, a route *rule* (`/payments/histories/<id>`, never the id),
a status, a vendor code, an operation, an outcome. Nothing that grows with traffic.

Several processes serve one API under gunicorn. Its master (`roles.gunicorn_config`) sets
`PROMETHEUS_MULTIPROC_DIR` before any worker imports this module, so each worker writes its
values to files there and `/metrics` (answered by any worker) adds them all up; `serve` shares
that directory with the sender and the housekeeper it starts, so one scrape shows them too
(`observability.multiprocess`). Without it (tests, a sender or housekeeper on its own
`--metrics-port`) values live in this process. The webhook backlog is read from the
database when scraped, so it is the same whichever process answers.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

# `_created` series double the number of series for no alerting value (and do not exist in
# multiprocess mode anyway): keep both modes' output alike.
disable_created_metrics()

REGISTRY = CollectorRegistry(auto_describe=True)
"""This process's own metric families (not prometheus_client's global default registry)."""

HTTP_REQUESTS = Counter(
    "payment_http_requests",
    "HTTP requests answered, by method, route rule and status.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
HTTP_DURATION = Histogram(
    "payment_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route rule.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=REGISTRY,
)
GATEWAY_REQUESTS = Counter(
    "payment_gateway_requests",
    "Calls to a payment gateway, by vendor, operation and outcome "
    "(ok, rejected, mismatch, unavailable, timeout, error).",
    ["vendor", "operation", "outcome"],
    registry=REGISTRY,
)
GATEWAY_DURATION = Histogram(
    "payment_gateway_request_duration_seconds",
    "Duration of calls to a payment gateway, by vendor and operation.",
    ["vendor", "operation"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
    registry=REGISTRY,
)
WEBHOOK_DELIVERIES = Counter(
    "payment_webhook_deliveries",
    "Delivery attempts of outgoing webhooks, by outcome (delivered; retry: failed, will be "
    "tried again; failed: failed and past its deadline, given up).",
    ["outcome"],
    registry=REGISTRY,
)
INBOUND_WEBHOOKS = Counter(
    "payment_inbound_webhooks",
    "Webhooks received from gateways, by vendor and outcome (changed, unchanged, ignored, "
    "unknown, deferred, replayed, invalid, conflict, throttled, error).",
    ["vendor", "outcome"],
    registry=REGISTRY,
)

IDEMPOTENT_REQUESTS = Counter(
    "payment_idempotent_requests",
    "Requests that carried an Idempotency-Key, by route and outcome (new: ran; replayed: the "
    "stored answer was sent again; in_flight: refused, the first is still running).",
    ["route", "outcome"],
    registry=REGISTRY,
)

HOUSEKEEPING_JOBS = Counter(
    "payment_housekeeping_jobs",
    "Runs of the housekeeper's jobs, by job and outcome (ok, error).",
    ["job", "outcome"],
    registry=REGISTRY,
)

JANITOR_CHECKS = Counter(
    "payment_janitor_checks",
    "Re-checks of records in doubt with their gateway, by outcome (settled; in_doubt: still "
    "in doubt, checked again later; gave_up: still in doubt after the schedule, a finding; "
    "error: the gateway could not answer).",
    ["outcome"],
    registry=REGISTRY,
)
RECONCILE_RUNS = Counter(
    "payment_reconcile_runs",
    "Scheduled reconciliations, by vendor and outcome (ok, error).",
    ["vendor", "outcome"],
    registry=REGISTRY,
)
BILLING_CHARGES = Counter(
    "payment_billing_charges",
    "Charges of saved cards (billing keys), by vendor and outcome (paid, declined, "
    "unsupported, refused, unknown: the gateway failed or timed out, error).",
    ["vendor", "outcome"],
    registry=REGISTRY,
)

_http_children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    """Count one answered request. The labelled children are looked up once per
    (method, route, status) and kept: this runs on every request. The key holds the method's
    label, not the method as sent: any token is a valid method, and a client sending random
    ones must not grow the cache (the routes and statuses are the app's own, so bounded)."""
    label = method if method in KNOWN_METHODS else "other"
    key = (label, route, status)
    children = _http_children.get(key)
    if children is None:
        children = (
            HTTP_REQUESTS.labels(label, route, str(status)),
            HTTP_DURATION.labels(label, route),
        )
        _http_children[key] = children
    children[0].inc()
    children[1].observe(seconds)


def observe_gateway(vendor: str, operation: str, outcome: str, seconds: float) -> None:
    GATEWAY_REQUESTS.labels(vendor, operation, outcome).inc()
    GATEWAY_DURATION.labels(vendor, operation).observe(seconds)


def count_delivery(outcome: str) -> None:
    WEBHOOK_DELIVERIES.labels(outcome).inc()


def count_idempotent(route: str, outcome: str) -> None:
    IDEMPOTENT_REQUESTS.labels(route, outcome).inc()


def count_inbound(vendor: str, outcome: str) -> None:
    INBOUND_WEBHOOKS.labels(vendor, outcome).inc()


def count_billing_charge(vendor: str, outcome: str) -> None:
    BILLING_CHARGES.labels(vendor, outcome).inc()


def count_housekeeping(job: str, outcome: str) -> None:
    HOUSEKEEPING_JOBS.labels(job, outcome).inc()


SCHEDULE_STATUSES = ("active", "past_due", "cancelled")


class BacklogCollector:
    """Outgoing webhooks still to deliver, read from the database at each scrape.

    `backlog` returns (pending, failed, oldest pending creation time); if the database cannot
    be read the scrape still succeeds, with `payment_database_up 0`.
    """

    def __init__(
        self,
        backlog: Callable[[], tuple[int, int, datetime | None]],
        clock: Callable[[], datetime],
        schedules: Callable[[], dict[str, int]] | None = None,
    ):
        self.backlog = backlog
        self.clock = clock
        self.schedules = schedules
        """Schedules of saved-card charges by status, read at each scrape too, when given."""

    def collect(self) -> Iterator[Metric]:
        try:
            pending, failed, oldest = self.backlog()
            by_status = self.schedules() if self.schedules is not None else None
        except Exception as error:  # the scrape must not fail with the database
            log.warning("metrics: cannot read the webhook backlog: %s", type(error).__name__)
            yield GaugeMetricFamily(
                "payment_database_up", "1 when the database answered this scrape.", value=0
            )
            return
        yield GaugeMetricFamily(
            "payment_database_up", "1 when the database answered this scrape.", value=1
        )
        yield GaugeMetricFamily(
            "payment_webhooks_pending", "Outgoing webhooks not delivered yet.", value=pending
        )
        yield GaugeMetricFamily(
            "payment_webhooks_failed",
            "Outgoing webhooks given up after their deadline (replay them with "
            "`payment-service webhooks retry --failed`).",
            value=failed,
        )
        age = max((self.clock() - oldest).total_seconds(), 0.0) if oldest else 0.0
        yield GaugeMetricFamily(
            "payment_webhook_oldest_pending_age_seconds",
            "Age of the oldest outgoing webhook not delivered yet (0 when none is pending).",
            value=age,
        )
        if by_status is not None:
            family = GaugeMetricFamily(
                "payment_schedules",
                "Schedules of saved-card charges, by status (active, past_due, cancelled).",
                labels=["status"],
            )
            for status in SCHEDULE_STATUSES:
                family.add_metric([status], by_status.get(status, 0))
            yield family


def count_janitor_check(outcome: str) -> None:
    JANITOR_CHECKS.labels(outcome).inc()


def count_reconcile_run(vendor: str, outcome: str) -> None:
    RECONCILE_RUNS.labels(vendor, outcome).inc()


@dataclass(frozen=True)
class HealingState:
    """What the janitor and reconciliation left in the database (healing.status reads it)."""

    findings: dict[tuple[str, str], int]
    """How many findings of each (kind, state)."""
    in_doubt: int
    last_success: dict[str, datetime]
    """When each vendor's scheduled reconciliation last succeeded."""


class HealingCollector:
    """Findings, records in doubt and the last reconciliation per vendor, read from the
    database at each scrape (the same whichever process answers)."""

    def __init__(self, state: Callable[[], HealingState]):
        self.state = state

    def collect(self) -> Iterator[Metric]:
        try:
            state = self.state()
        except Exception as error:  # the scrape must not fail with the database
            log.warning("metrics: cannot read findings: %s", type(error).__name__)
            return
        findings = GaugeMetricFamily(
            "payment_findings",
            "Stored findings of reconciliation and the janitor, by kind and state (open, "
            "repaired, ignored).",
            labels=["kind", "state"],
        )
        for (kind, state_name), count in sorted(state.findings.items()):
            findings.add_metric([kind, state_name], count)
        yield findings
        yield GaugeMetricFamily(
            "payment_records_in_doubt",
            "Records the janitor is re-checking with their gateway (or gave up on).",
            value=state.in_doubt,
        )
        last = GaugeMetricFamily(
            "payment_reconcile_last_success_timestamp_seconds",
            "Unix time of the last successful scheduled reconciliation, by vendor.",
            labels=["vendor"],
        )
        for vendor, at in sorted(state.last_success.items()):
            last.add_metric([vendor], at.timestamp())
        yield last


class _OwnFamilies:
    """This process's families, as one collector of a scrape registry."""

    def collect(self) -> Iterator[Metric]:
        return REGISTRY.collect()


def multiprocess() -> bool:
    return bool(os.environ.get(MULTIPROC_ENV))


def scrape_registry(
    backlog: BacklogCollector | None, healing: HealingCollector | None = None
) -> CollectorRegistry:
    """What one scrape shows: every process's families (those writing to the multiprocess
    directory) or this process's, and the database's figures when given."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess():
        MultiProcessCollector(registry)
    else:
        registry.register(_OwnFamilies())
    if backlog is not None:
        registry.register(backlog)
    if healing is not None:
        registry.register(healing)
    return registry


def render(backlog: BacklogCollector, healing: HealingCollector | None = None) -> bytes:
    return generate_latest(scrape_registry(backlog, healing))

"""Reconciliation findings in the console: a run started here keeps its findings, which an
operator resolves one or many at a time with a reason; a viewer only reads them."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from payment_service.healing import findings
from payment_service.testing import PaymentBackend

from .support import Console, actions, add_operator


@pytest.fixture
def console(backend: PaymentBackend) -> Console:
    add_operator(backend.runtime, "operator@example.com", "operator")
    assert backend.app is not None
    return Console.of(backend.app).logged_in("operator@example.com")


def orphans(backend: PaymentBackend, count: int) -> list[str]:
    """Payments made at the gateway that no service registered: reconciliation's orphans."""
    return [backend.customer.pay_by_card("iamport", 1000, str(uuid.uuid4())) for _ in range(count)]


def window(backend: PaymentBackend) -> dict[str, str]:
    now = backend.runtime.clock()
    return {
        "vendor": "iamport",
        "since": (now - timedelta(hours=1)).isoformat(),
        "until": (now + timedelta(hours=1)).isoformat(),
    }


def test_a_run_from_the_console_keeps_its_findings_and_they_are_resolved_in_bulk(console, backend):
    uids = orphans(backend, 3)
    answer = console.post("/console/reconciliation/run", window(backend))
    assert answer.status_code == 303
    # The fake keeps the payments of earlier tests too (orphans now): only this test's count.
    found = [
        f
        for f in findings.list_findings(backend.runtime, state="open", kind="orphan")
        if f.vendor_uid in uids
    ]
    assert sorted(f.vendor_uid for f in found) == sorted(uids)
    assert {f.found_by for f in found} == {"console"}
    page = console.http.get("/console/reconciliation")
    assert page.status_code == 200
    assert all(uid in page.text for uid in uids)

    chosen = [f.id for f in found[:2]]
    refused = console.post(
        "/console/reconciliation/resolve", {"ids": chosen, "action": "ignore", "reason": ""}
    )
    assert refused.status_code == 400
    assert findings.list_findings(backend.runtime, state="ignored") == []

    done = console.post(
        "/console/reconciliation/resolve",
        {"ids": chosen, "action": "ignore", "reason": "test payments of the shop"},
    )
    assert done.status_code == 303
    ignored = findings.list_findings(backend.runtime, state="ignored")
    assert sorted(f.id for f in ignored) == sorted(chosen)
    assert {(f.closed_by, f.reason) for f in ignored} == {
        ("operator@example.com", "test payments of the shop")
    }
    resolved = [a for a in actions(backend.runtime) if a[1] == "finding.ignore"]
    assert sorted(a[2] for a in resolved) == sorted(chosen)
    assert [a[1] for a in actions(backend.runtime)][1] == "reconciliation.run"


def test_repairing_an_orphan_refunds_it_at_the_gateway(console, backend):
    (uid,) = orphans(backend, 1)
    console.post("/console/reconciliation/run", window(backend))
    (finding,) = [f for f in findings.list_findings(backend.runtime) if f.vendor_uid == uid]
    answer = console.post(
        "/console/reconciliation/resolve",
        {"ids": [finding.id], "action": "repair", "reason": "nobody ordered this"},
    )
    assert answer.status_code == 303
    assert findings.get_finding(backend.runtime, finding.id).state == "repaired"
    payment = backend.runtime.vendors.get("iamport").fetch_payment(finding.store_id, uid)
    assert backend.runtime.vendors.get("iamport").summarize(payment).cancels


def test_a_viewer_reads_findings_but_cannot_resolve_or_run(backend):
    add_operator(backend.runtime, "viewer@example.com", "viewer")
    assert backend.app is not None
    viewer = Console.of(backend.app).logged_in("viewer@example.com")
    orphans(backend, 1)
    assert viewer.http.get("/console/reconciliation").status_code == 200
    assert viewer.post("/console/reconciliation/run", window(backend)).status_code == 403
    refused = viewer.post("/console/reconciliation/resolve", {"ids": ["x"], "action": "ignore"})
    assert refused.status_code == 403
    assert findings.list_findings(backend.runtime) == []

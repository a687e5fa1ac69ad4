"""What the metrics scrape reads of the janitor and reconciliation (`HealingCollector`)."""

from __future__ import annotations

from ..db import Database
from ..db.queries import findings, janitor, reconcile_runs
from ..observability.metrics import HealingState


def healing_state(database: Database) -> HealingState:
    with database.reading() as session:
        return HealingState(
            findings=findings.counts(session),
            in_doubt=janitor.count(session),
            last_success=reconcile_runs.last_successes(session),
        )

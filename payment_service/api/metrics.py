"""GET /metrics: Prometheus metrics of every worker of this server (when PAYMENT_METRICS is on).

Meant for the monitoring network only; docs/operating.md ("Metrics, logs and request ids") shows
how to keep it off the public one.
"""

from __future__ import annotations

from flask import Response
from flask.views import MethodView

from ..delivery.operations import backlog
from ..healing.status import healing_state
from ..observability.metrics import CONTENT_TYPE, BacklogCollector, HealingCollector, render
from ..transport import Blueprint
from .context import runtime

blp = Blueprint("metrics", __name__, description="Prometheus metrics (operators only).")


@blp.route("/metrics")
class Metrics(MethodView):
    @blp.doc(
        responses={
            "200": {
                "description": "The Prometheus text exposition format (version 0.0.4).",
                "content": {"text/plain": {"schema": {"type": "string"}}},
            }
        }
    )
    def get(self) -> Response:
        """Prometheus metrics: HTTP, gateway and webhook families of every worker."""
        current = runtime()
        collector = BacklogCollector(lambda: backlog(current.database), current.clock)
        healing = HealingCollector(lambda: healing_state(current.database))
        return Response(render(collector, healing), status=200, content_type=CONTENT_TYPE)

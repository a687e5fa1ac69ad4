"""R1-R3: health, performance and system information."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response
from flask.views import MethodView

from ..delivery.dispatcher import counts
from ..monitoring.performance import performance_info
from ..monitoring.redaction import secret_values
from ..monitoring.system import system_info
from ..settings import variables
from ..settings.redaction import assignment_shown, held_secrets
from ..transport import Blueprint
from .context import runtime

blp = Blueprint(
    "monitors",
    __name__,
    url_prefix="/monitors",
    description="Monitoring: health, process figures, version, plugins and webhook backlog.",
)


class CpuSchema(ma.Schema):
    user = ma.fields.Integer(metadata={"description": "user CPU time, microseconds"})
    system = ma.fields.Integer(metadata={"description": "system CPU time, microseconds"})


class PerformanceSchema(ma.Schema):
    typia_name = "IPerformance"
    cpu = ma.fields.Nested(CpuSchema)
    memory = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())
    resource = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())


class SystemSchema(ma.Schema):
    typia_name = "ISystem"
    uid = ma.fields.String()
    arguments = ma.fields.List(ma.fields.String())
    package = ma.fields.Dict()
    commit = ma.fields.Dict(allow_none=True)
    created_at = ma.fields.String()


@blp.route("/health")
class Health(MethodView):
    @blp.response(200, description="The server is up and its database answers.")
    def get(self) -> Response:
        """Readiness check: 200 with an empty body once the database answers (R1)."""
        runtime().database.check()
        return Response(b"", status=200)


@blp.route("/performance")
class Performance(MethodView):
    @blp.encrypted_response(200, PerformanceSchema)
    def get(self) -> dict[str, Any]:
        """CPU time, memory and resource usage of the answering process (R2)."""
        return performance_info()


@blp.route("/system")
class System(MethodView):
    @blp.encrypted_response(200, SystemSchema)
    def get(self) -> dict[str, Any]:
        """Process id, arguments, package, git commit and start time of the server (R3)."""
        current = runtime()
        settings = current.settings
        plugin_variables = current.vendors.variables()
        # What the settings' schema marks secret, plus anything named like a secret.
        secrets = held_secrets(settings, settings.environ, plugin_variables)
        secrets |= secret_values(settings.environ)
        declared = assignment_shown([*variables(), *plugin_variables])
        return system_info(current.process_uid, current.started_at, secrets, declared)


@blp.route("/plugins")
class Plugins(MethodView):
    @blp.encrypted_response(200)
    def get(self) -> list[dict[str, Any]]:
        """The vendor plugins loaded: vendor code, plugin, distribution and version."""
        return runtime().vendors.describe()


@blp.route("/webhooks")
class Webhooks(MethodView):
    @blp.encrypted_response(200)
    def get(self) -> dict[str, Any]:
        """Outgoing webhooks by state, and the creation time of the oldest still pending."""
        return counts(runtime())

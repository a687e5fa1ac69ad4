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
        ciphers = [getattr(settings.keys, name) for name in settings.keys.__dataclass_fields__]
        secrets = secret_values(settings.environ) | {
            value for cipher in ciphers for value in (cipher.key, cipher.iv)
        }
        return system_info(current.process_uid, current.started_at, secrets)


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

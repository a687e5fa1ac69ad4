"""R11/R12: webhooks posted by the gateways (plain JSON, as they send them).

One route per installed vendor, at /payments/webhooks/<its `webhook_name`>, so a third-party
vendor plugin gets its own without touching this.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, request
from werkzeug.exceptions import HTTPException

from ..errors import ServiceError
from ..observability.metrics import count_inbound
from ..payments import webhooks
from ..transport import Blueprint, read_plain_json
from ..vendors import VendorRegistry
from .context import runtime


def _failure(error: Exception) -> str:
    """The bounded `outcome` label of an inbound webhook that was not accepted."""
    if isinstance(error, ServiceError):
        status = error.status
    else:
        status = error.code if isinstance(error, HTTPException) and error.code else 500
    if status == 409:
        return "conflict"  # the payment is being registered; the gateway sends it again
    if status == 429:
        return "throttled"  # past the vendor's budget for this minute
    if status in (400, 413, 415):
        return "invalid"
    return "error"


def blueprint(vendors: VendorRegistry) -> Blueprint:
    blp = Blueprint(
        "webhooks",
        __name__,
        url_prefix="/payments/webhooks",
        description="Notifications from the gateways. Never trusted: the payment is re-fetched.",
    )
    for vendor in vendors:
        name = vendor.webhook_name
        documented = blp.doc(
            summary=f"Webhook from {vendor.code}",
            description=(
                f"What {vendor.code} posts, as plain JSON. Answered 201 with the same empty "
                "body and headers whether the event changed a payment, changed nothing, "
                "concerned a payment this server does not hold, arrived while the payment "
                "was being re-fetched or had just been (one trailing re-fetch follows), or "
                "replays a signed delivery already received, so the route "
                "tells no one which gateway uids are registered; 400 for a malformed body; 401 "
                "when the gateway signs its webhooks and the signature is missing or wrong; 409 "
                "while the payment is being registered; 429 past the vendor's budget of "
                "webhooks per minute (PAYMENT_WEBHOOK_INBOUND_PER_MINUTE); 503 when this "
                "process is already "
                "re-fetching as many payments as it allows (send it again later); the gateway's "
                "error status when re-fetching the payment fails."
            ),
            requestBody={
                "required": True,
                "content": {
                    "application/json": {"schema": vendor.webhook_schema or {"type": "object"}}
                },
            },
            responses={"201": {"description": "Received (empty body)."}},
        )
        blp.route(f"/{name}", methods=["POST"], endpoint=f"receive_{name}")(
            documented(_receiver(name, vendor.code))
        )
    return blp


def _receiver(name: str, vendor: str) -> Callable[[], Response]:
    def receive() -> Response:
        try:
            # A signing gateway's signature is checked on the raw bytes, before they are parsed;
            # then the vendor's budget is spent, before any other work.
            raw = request.get_data(cache=True)
            delivery = webhooks.authenticate(runtime(), name, request.headers, raw)
            webhooks.admit(runtime(), name)
            outcome = webhooks.receive(runtime(), name, read_plain_json(request), delivery)
        except Exception as error:
            count_inbound(vendor, _failure(error))
            raise
        # The outcome (changed, unchanged, ignored, unknown) is counted and logged, never
        # answered: saying "unknown" would let anyone probe which gateway uids this server holds.
        count_inbound(vendor, outcome.status)
        return Response(b"", status=201, content_type="application/json")

    receive.__name__ = f"receive_{name}"
    return receive

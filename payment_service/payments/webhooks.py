"""Inbound gateway webhooks (spec §4.7): re-fetch, re-synchronize, report the change.

The webhook body only says *which* payment to look at; what happened is read from the gateway
itself, so a forged or stale webhook can at worst trigger a harmless re-synchronization.
Events about payments we do not hold, and events that change nothing, are acknowledged
without error, or the gateway would keep retrying them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from ..db import PaymentHistory
from ..errors import Conflict, NotFound
from ..runtime import Runtime
from . import access
from .sync import apply_summary
from .views import history_view

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What became of an inbound webhook: `webhook_id` is set when a change was reported."""

    status: str  # "changed", "unchanged", "ignored", "unknown"
    webhook_id: str | None = None
    reason: str = ""


def receive(runtime: Runtime, webhook_name: str, body: Any) -> Outcome:
    from ..delivery.outbox import enqueue

    vendor = runtime.vendors.for_webhook(webhook_name)
    if vendor is None:
        raise NotFound(f"No vendor receives webhooks at {webhook_name!r}.")
    notice = vendor.read_webhook(body)
    if notice.uid is None:
        return Outcome("ignored", reason=notice.reason)
    keys = runtime.settings.keys
    with runtime.database.transaction() as session:
        row = access.by_vendor(session, PaymentHistory, vendor.code, notice.uid, lock=True)
        if row is None:
            if access.claimed(session, PaymentHistory, vendor.code, notice.uid):
                # Being registered right now: what the event reports might land between the
                # approval and the record. Refuse, so that the gateway sends it again later.
                raise Conflict("This payment is being registered; send the webhook again later.")
            log.info("webhook for unknown %s payment %s ignored", vendor.code, notice.uid)
            return Outcome("unknown", reason="no payment history with this uid")
        previous = history_view(row, keys.history)
        payment = vendor.fetch_payment(row.vendor_store_id, row.vendor_uid)
        apply_summary(row, vendor.summarize(payment), payment, keys)
        session.flush()
        current = history_view(row, keys.history)
        if current == previous:
            return Outcome("unchanged")
        webhook = enqueue(session, row, previous, current, body, runtime.settings, runtime.clock())
        session.flush()
        webhook_id = webhook.id
    runtime.outbox_written()
    log.info("webhook for %s payment %s reported change %s", vendor.code, notice.uid, webhook_id)
    return Outcome("changed", webhook_id=webhook_id)

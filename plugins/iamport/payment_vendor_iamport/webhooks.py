"""iamport's inbound webhook: `{imp_uid, merchant_uid, status}`.

Every status names a payment whose state may differ from what a history holds, so none is
dropped (the core re-fetches the payment and stores nothing for a uid it does not hold):

* `paid`: a card payment, or a deposit into a virtual account;
* `cancelled`: a refund, including one made in iamport's console;
* `failed`: the original dropped these, so failed payments were never synchronized;
* `ready`: sent when a virtual account is issued (before the service has registered it: the
  core finds no history and acknowledges it) but also when a registered virtual account is
  changed, e.g. its amount (`PUT /vbanks`), which changes the history's price.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from payment_service.vendors import InvalidWebhook, WebhookNotice

STATUSES = ("paid", "ready", "failed", "cancelled")


def read_webhook(body: Any) -> WebhookNotice:
    if not isinstance(body, Mapping):
        raise InvalidWebhook("The iamport webhook body must be a JSON object.")
    for field in ("imp_uid", "merchant_uid", "status"):
        if not isinstance(body.get(field), str):
            raise InvalidWebhook(
                f"The iamport webhook field {field!r} must be a string.", field=field
            )
    if not body["imp_uid"]:
        raise InvalidWebhook("The iamport webhook field 'imp_uid' is empty.", field="imp_uid")
    status = body["status"]
    if status not in STATUSES:
        raise InvalidWebhook(
            f"The iamport webhook field 'status' must be one of {', '.join(STATUSES)} "
            f"(got {status!r}).",
            field="status",
        )
    return WebhookNotice(body["imp_uid"], f"iamport reports the payment {status}")

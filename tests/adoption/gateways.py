"""The gateway side of the original's payments, put back into payment-service's fakes.

The original's fakes kept their payments in memory, and they are gone; a real gateway keeps
its payments for good. So that refunds, gateway webhooks and reconciliation can work on the
adopted records as they would in production, each payment's last known gateway record (the
decrypted `data` of its history, which is exactly what the gateway answered) is stored again
in the fake of its vendor, as that fake stores its own payments.
"""

from __future__ import annotations

import copy
import json
from dataclasses import fields
from typing import Any

from fake_servers.iamport import FakeIamport
from fake_servers.iamport.records import CardPayment, PaymentCancel, VBankPayment
from fake_servers.toss import FakeToss

from .original import Original

IAMPORT_KINDS = {"card": CardPayment, "vbank": VBankPayment}


def put_back(original: Original, iamport: FakeIamport, toss: FakeToss) -> None:
    for history_id, row in original.histories.items():
        record = json.loads(original.history_data(history_id))
        if row["vendor_code"] == "iamport":
            _iamport(iamport, record)
        else:
            _toss(toss, record)


def _iamport(fake: FakeIamport, record: dict[str, Any]) -> None:
    kind = IAMPORT_KINDS[record["pay_method"]]
    names = {f.name for f in fields(kind)}
    unknown = set(record) - names
    assert not unknown, f"the fake iamport has no field {unknown}"
    values = {**record, "cancel_history": [PaymentCancel(**c) for c in record["cancel_history"]]}
    fake.state.payments.set(record["imp_uid"], kind(**values))


def _toss(fake: FakeToss, record: dict[str, Any]) -> None:
    fake.state.payments.set(record["paymentKey"], copy.deepcopy(record))

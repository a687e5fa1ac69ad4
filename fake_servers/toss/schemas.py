"""Request bodies of the Toss API, as the original fake's typia types declare them.

Fields are listed in typia's checking order (a type's own properties, then inherited ones), so
the first violation reported is the one the original reports.
"""

from __future__ import annotations

import math
from typing import Any

from fake_servers.common.validation import (
    Boolean,
    Literal,
    Number,
    Object,
    Optional,
    Schema,
    String,
    Violation,
)


class PositiveAmount(Schema):
    """A money amount: the real Toss refuses zero and negative ones (the original fake did not)."""

    expected = "(number & ExclusiveMinimum<0>)"

    def violation(self, value: Any, path: str) -> Violation | None:
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
            or value <= 0
        ):
            return Violation(path, self.expected, value)
        return None


CARD_NUMBER = String(pattern="[0-9]{16}")
EXPIRATION_YEAR = String(pattern=r"\d{2}")
EXPIRATION_MONTH = String(pattern="^(0[1-9]|1[012])$")
BIRTHDAY = String(pattern="^([0-9]{2})(0[1-9]|1[012])(0[1-9]|[12][0-9]|3[01])$")
EMAIL = String(format="email")
VBV = Object("__type", {"cavv": String(), "xid": String(), "eci": String()})
CASH_RECEIPT_TYPE = Literal("소득공제", "지출증빙")

CARD_PAYMENT_CREATE = Object(
    "ITossCardPayment.ICreate",
    {
        "method": Literal("card"),
        "cardNumber": CARD_NUMBER,
        "cardExpirationYear": EXPIRATION_YEAR,
        "cardExpirationMonth": EXPIRATION_MONTH,
        "cardPassword": Optional(String()),
        "cardInstallmentPlan": Optional(Number()),
        "amount": PositiveAmount(),
        "taxFreeAmount": Optional(Number()),
        "orderId": String(),
        "orderName": Optional(String()),
        "customerBirthday": Optional(BIRTHDAY),
        "customerEmail": Optional(EMAIL),
        "vbv": Optional(VBV),
        "__approved": Optional(Boolean()),
    },
)

APPROVAL = Object("ITossPayment.IApproval", {"orderId": String(), "amount": Number()})

PAYMENT_CANCEL_CREATE = Object(
    "ITossPaymentCancel.ICreate",
    {
        "paymentKey": String(),
        "cancelReason": String(),
        "cancelAmount": Optional(PositiveAmount()),
        "refundReceiveAccount": Optional(
            Object(
                "__type",
                {
                    "bank": String(),
                    "accountNumber": String(pattern="^[0-9]{0,20}$"),
                    "holderName": String(),
                },
            )
        ),
        "taxAmount": Optional(Number()),
        "taxFreeAmount": Optional(Number()),
        "refundableAmount": Optional(Number()),
    },
)

VIRTUAL_ACCOUNT_CREATE = Object(
    "ITossVirtualAccountPayment.ICreate",
    {
        "method": Literal("virtual-account"),
        "orderId": String(),
        "orderName": String(),
        "bank": String(),
        "customerName": String(),
        "amount": PositiveAmount(),
        "__approved": Optional(Boolean()),
    },
)

BILLING_CREATE = Object(
    "ITossBilling.ICreate",
    {
        "cardNumber": CARD_NUMBER,
        "cardExpirationYear": EXPIRATION_YEAR,
        "cardExpirationMonth": EXPIRATION_MONTH,
        "cardPassword": String(),
        "customerBirthday": BIRTHDAY,
        "consumerName": Optional(String()),
        "customerEmail": Optional(EMAIL),
        "vbv": Optional(VBV),
        "customerKey": String(),
    },
)

BILLING_CUSTOMER_KEY = Object("ITossBilling.ICustomerKey", {"customerKey": String()})

BILLING_PAYMENT_STORE = Object(
    "ITossBilling.IPaymentStore",
    {
        "method": Literal("billing"),
        "billingKey": String(),
        "orderId": String(),
        "amount": PositiveAmount(),
        "customerKey": String(),
    },
)

CASH_RECEIPT_CREATE = Object(
    "ITossCashReceipt.ICreate",
    {
        "type": CASH_RECEIPT_TYPE,
        "paymentKey": String(),
        "orderId": String(),
        "orderName": String(),
        "registrationNumber": String(),
        "amount": PositiveAmount(),
        "taxFreeAmount": Optional(Number()),
        "businessNumber": Optional(String()),
    },
)

CASH_RECEIPT_CANCEL = Object("ITossCashReceipt.ICancel", {"amount": Optional(Number())})

PAYMENT_WEBHOOK = Object(
    "ITossPaymentWebhook",
    {
        "eventType": Literal("PAYMENT_STATUS_CHANGED"),
        "data": Object(
            "ITossPaymentWebhook.IData",
            {
                "paymentKey": String(),
                "orderId": String(),
                "status": Literal("DONE", "CANCELED", "PARTIAL_CANCELED", "WAITING_FOR_DEPOSIT"),
            },
        ),
    },
)

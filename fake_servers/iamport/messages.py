"""The error texts clients see, kept in one place (iamport's Korean ones are its own wording)."""

from __future__ import annotations

WRONG_KEYS = "Wrong authorization key values."
NO_TOKEN = "No authorization token exists."
WRONG_OTP = "Wrong OTP value."
ALREADY_CERTIFIED = "Already certified."

NOT_VBANK = "Not a virtual bank payment."
NOT_PAID = "Not paid yet."
ALREADY_PAID = "Already paid."
ALREADY_CANCELLED = "Already cancelled."
ALREADY_ISSUED = "Already issued."
# A charge of a saved card the test asked to decline (`decline_charges`), in a card company's
# words: "[8326] limit exceeded".
CARD_DECLINED = "[8326] 한도초과"

REFUND_ACCOUNT_REQUIRED = "가상계좌 취소는 계좌번호, 예금주, 은행명을 입력해야 합니다."
OVER_REFUND = "취소 금액은 결제 또는 잔여 금액보다 클 수 없습니다."
FULLY_REFUNDED = "이미 전액취소된 주문입니다."
NON_POSITIVE_REFUND = "취소 금액은 0보다 커야 합니다."
CHECKSUM_MISMATCH = "checksum({checksum})이 취소 가능 잔액({refundable})과 일치하지 않습니다."

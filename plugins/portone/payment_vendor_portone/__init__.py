"""PortOne V2 as a payment-service vendor plugin: every PG PortOne aggregates (KG Inicis,
NHN KCP, Toss Payments, KakaoPay, NaverPay, Nice, ...) through one API.

Vendor code `portone`; inbound webhooks, signed per Standard Webhooks, at
`POST /payments/webhooks/portone`. Configured from `PAYMENT_VENDORS["portone"]` (`options.py`).
"""

from .options import CODE, DEFAULT_BASE_URL
from .vendor import PortOneVendor

__all__ = ["CODE", "DEFAULT_BASE_URL", "PortOneVendor"]

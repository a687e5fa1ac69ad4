"""The Toss Payments gateway as a payment-service vendor plugin.

Vendor code `toss.payments`; inbound webhooks at `POST /payments/webhooks/toss`. Configured
from `PAYMENT_VENDORS["toss.payments"]` (see `options.py`).
"""

from .options import CODE, DEFAULT_BASE_URL
from .vendor import TossVendor

__all__ = ["CODE", "DEFAULT_BASE_URL", "TossVendor"]

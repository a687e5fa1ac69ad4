"""The iamport (PortOne v1) payment gateway as a payment-service vendor plugin.

Vendor code `iamport`; inbound webhooks at `POST /payments/webhooks/iamport`. Configured from
`PAYMENT_VENDORS["iamport"]` (see `options.py`).
"""

from .options import CODE, DEFAULT_BASE_URL
from .tokens import IssuedToken, TokenCache
from .vendor import IamportVendor

__all__ = ["CODE", "DEFAULT_BASE_URL", "IamportVendor", "IssuedToken", "TokenCache"]

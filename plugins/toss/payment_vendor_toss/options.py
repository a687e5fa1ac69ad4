"""Toss Payments' settings: `PAYMENT_VENDORS["toss.payments"]`, with the original server's
environment variable as the default secret key.

    {"toss.payments": {"base_url": "https://api.tosspayments.com", "timeout_s": 10,
                       "default": {"secret_key": "..."},
                       "stores": {"store-a": {"secret_key": "..."}}}}

Every key is optional. Without `default`, `PAYMENT_TOSS_PAYMENTS_SECRET` is the default secret
key when set; a store with neither its own nor a default key is refused (UnknownStore, 422)
when it is used.
"""

from __future__ import annotations

from payment_service.vendors import (
    GatewayReplies,
    PluginSettings,
    VendorOptions,
    VendorSettings,
    plugin_variable,
)

CODE = "toss.payments"
DEFAULT_BASE_URL = "https://api.tosspayments.com"
CREDENTIAL_KEYS = ("secret_key",)
ENV_SECRET = "PAYMENT_TOSS_PAYMENTS_SECRET"
REPLIES = GatewayReplies(CODE, "Toss")

SETTINGS = PluginSettings(
    vendor_codes=(CODE,),
    variables=(
        plugin_variable(ENV_SECRET, "Toss Payments secret key of the default store", secret=True),
    ),
    distribution="payment-vendor-toss",
    options=f"`base_url` (`{DEFAULT_BASE_URL}`), `timeout_s`, `default` and `stores` "
    f"credentials: `secret_key` (without `default`, the variable)",
)


def load_options(settings: VendorSettings) -> VendorOptions:
    secret = settings.environ.get(ENV_SECRET) or None
    return VendorOptions.from_settings(
        settings,
        CODE,
        base_url=DEFAULT_BASE_URL,
        credential_keys=CREDENTIAL_KEYS,
        default=lambda: None if secret is None else {"secret_key": secret},
    )

"""PortOne's settings: `PAYMENT_VENDORS["portone"]`.

    {"portone": {"base_url": "https://api.portone.io", "timeout_s": 10,
                 "default": {"api_secret": "...", "store_id": "store-...",
                             "webhook_secret": "whsec_..."},
                 "stores": {"shop-a": {"api_secret": "...", "store_id": "store-...",
                                       "webhook_secret": "whsec_..."}}}}

Each of our store ids (`vendor.store_id` of a payment) maps to a PortOne API secret, the
PortOne store it acts for (`store_id`, sent with every call) and that store's webhook secret
(from PortOne's console, `whsec_<base64>`). A store with neither its own nor default credentials
is refused (UnknownStore, 422) when it is used.
"""

from __future__ import annotations

import base64
import binascii

from payment_service.vendors import (
    GatewayReplies,
    PluginSettings,
    VendorConfigError,
    VendorOptions,
    VendorSettings,
)

CODE = "portone"
DEFAULT_BASE_URL = "https://api.portone.io"
CREDENTIAL_KEYS = ("api_secret", "store_id", "webhook_secret")
SECRET_PREFIX = "whsec_"
REPLIES = GatewayReplies(CODE, "PortOne")

SETTINGS = PluginSettings(
    vendor_codes=(CODE,),
    distribution="payment-vendor-portone",
    options=f"`base_url` (`{DEFAULT_BASE_URL}`), `timeout_s`, `default` and `stores` "
    f"credentials: `{'`, `'.join(CREDENTIAL_KEYS)}` (`whsec_…` from PortOne's console)",
)


def load_options(settings: VendorSettings) -> VendorOptions:
    options = VendorOptions.from_settings(
        settings, CODE, base_url=DEFAULT_BASE_URL, credential_keys=CREDENTIAL_KEYS
    )
    problems = [
        f"{where}.webhook_secret must be whsec_ followed by base64 (PortOne's console shows it)"
        for where, credentials in _all_credentials(options)
        if not _usable_secret(credentials["webhook_secret"])
    ]
    if problems:
        raise VendorConfigError(CODE, problems)
    return options


def webhook_secrets(options: VendorOptions) -> list[str]:
    """Every configured webhook secret, once each (a webhook names its store only inside the
    body it signs, so the signature is checked against all of them)."""
    return sorted({credentials["webhook_secret"] for _, credentials in _all_credentials(options)})


def _all_credentials(options: VendorOptions) -> list[tuple[str, dict[str, str]]]:
    found = [(f"stores.{name}", dict(value)) for name, value in options.stores.items()]
    if options.default is not None:
        found.append(("default", dict(options.default)))
    return found


def _usable_secret(secret: str) -> bool:
    if not secret.startswith(SECRET_PREFIX):
        return False
    try:
        return bool(base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True))
    except binascii.Error:
        return False

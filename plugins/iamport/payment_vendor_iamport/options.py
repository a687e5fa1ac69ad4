"""iamport's settings: `PAYMENT_VENDORS["iamport"]`, with the original server's environment
variables as the default credentials.

    {"iamport": {"base_url": "https://api.iamport.kr", "timeout_s": 10,
                 "default": {"imp_key": "...", "imp_secret": "..."},
                 "stores": {"store-a": {"imp_key": "...", "imp_secret": "..."}}}}

Every key is optional. Without `default`, `PAYMENT_IAMPORT_KEY` / `PAYMENT_IAMPORT_SECRET` are
the default credentials when set; a store with neither its own nor default credentials is
refused (UnknownStore, 422) when it is used.
"""

from __future__ import annotations

from collections.abc import Mapping

from payment_service.vendors import (
    GatewayReplies,
    PluginSettings,
    VendorConfigError,
    VendorOptions,
    VendorSettings,
    plugin_variable,
)

CODE = "iamport"
DEFAULT_BASE_URL = "https://api.iamport.kr"
CREDENTIAL_KEYS = ("imp_key", "imp_secret")
ENV_KEY = "PAYMENT_IAMPORT_KEY"
ENV_SECRET = "PAYMENT_IAMPORT_SECRET"
REPLIES = GatewayReplies(CODE, "iamport")

SETTINGS = PluginSettings(
    vendor_codes=(CODE,),
    variables=(
        plugin_variable(ENV_KEY, "iamport REST API key of the default store", secret=True),
        plugin_variable(ENV_SECRET, "its REST API secret", secret=True),
    ),
    distribution="payment-vendor-iamport",
    options=f"`base_url` (`{DEFAULT_BASE_URL}`), `timeout_s`, `default` and `stores` "
    f"credentials: `{'`, `'.join(CREDENTIAL_KEYS)}` (without `default`, the two variables)",
)


def load_options(settings: VendorSettings) -> VendorOptions:
    return VendorOptions.from_settings(
        settings,
        CODE,
        base_url=DEFAULT_BASE_URL,
        credential_keys=CREDENTIAL_KEYS,
        default=lambda: environment_credentials(settings.environ),
    )


def environment_credentials(environ: Mapping[str, str]) -> dict[str, str] | None:
    """The default credentials from the environment, None when neither variable is set."""
    key, secret = environ.get(ENV_KEY) or None, environ.get(ENV_SECRET) or None
    if key is None and secret is None:
        return None
    if key is None or secret is None:
        present, missing = (ENV_KEY, ENV_SECRET) if key is not None else (ENV_SECRET, ENV_KEY)
        raise VendorConfigError(CODE, [f"{present} is set but {missing} is not"])
    return {"imp_key": key, "imp_secret": secret}

"""The hooks a vendor plugin implements.

A plugin is any module or object with `@hookimpl` functions, published under the entry-point
group `payment_service.vendors`. Specs may gain parameters later; implementations that ignore
them keep working.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from .fakes import FakeGateway
    from .interface import BillingCharge, ChargedPayment, Vendor
    from .settings import PluginSettings, VendorSettings

hookspec = pluggy.HookspecMarker("payment_service")


@hookspec
def register_settings() -> PluginSettings:
    """Return what this plugin reads: the vendor codes whose `PAYMENT_VENDORS` entries are its
    own, and its own environment variables (`plugin_variable`, secret ones marked so).

    The plugin is then given those and nothing else (`register_vendors`); they are listed by
    `payment-service settings` (secrets hidden) and in its reference. Two plugins claiming one
    vendor code stop the server. A plugin without this hook is given the entries and
    variables no declaration (the server's or another plugin's) claims.
    """


@hookspec
def register_vendors(settings: VendorSettings) -> list[Vendor]:
    """Return the vendors (payment gateways) this plugin provides, configured from `settings`:
    the plugin's own `PAYMENT_VENDORS` entries and variables (`VendorSettings`), never the
    server's whole configuration.

    Each vendor's `code` must be unique across all plugins; the server refuses to start
    otherwise. Raise `VendorConfigError` when the plugin's own settings are unusable.

    Optional capabilities are methods a vendor may override; the core checks for them:
    `list_payments` (its `can_list` is then true) makes the vendor reconcilable by
    `payment-service reconcile`.
    """


@hookspec(firstresult=True)
def charge_billing_key(
    vendor: Vendor, store_id: str, charge: BillingCharge
) -> ChargedPayment | None:
    """Charge a saved card / billing key at the gateway, without the customer (a subscription's
    monthly charge): `charge.amount` on `charge.billing_key` for the order `charge.order_id`.

    Called for every vendor; a plugin answers only for its own vendors (`vendor` is the object
    its `register_vendors` returned) and returns None for any other, so the first plugin that
    knows the vendor charges it. A vendor no plugin charges is refused with 422.

    Return the paid payment (`ChargedPayment`): its uid, which becomes the history's
    `vendor.uid`, and the gateway's record of it as `fetch_payment` returns it (the core maps it
    with `summarize`); it must be paid for exactly `charge.amount`. Raise `ChargeDeclined`
    when the gateway or the card company declines (with its code and message: nothing was
    charged), the other `vendors.errors` types as for every call (`GatewayTimeout` when the
    outcome is unknown).

    When `charge.resume` is set an earlier call for the same order may have charged: look the
    order up first and return its paid payment instead of charging again.
    """


@hookspec
def register_fakes() -> list[type[FakeGateway]]:
    """Return the fakes of this plugin's gateways (`FakeGateway` subclasses), for tests and
    local runs: `GatewayFakes`, `payment-service fakes`, `serve --with-fakes`.

    Published under the entry-point group `payment_service.fakes` (see `vendors/fakes.py`), so
    that a server in production never imports a fake.
    """

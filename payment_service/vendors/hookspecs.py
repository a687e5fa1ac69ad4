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
    from .interface import Vendor
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


@hookspec
def register_fakes() -> list[type[FakeGateway]]:
    """Return the fakes of this plugin's gateways (`FakeGateway` subclasses), for tests and
    local runs: `GatewayFakes`, `payment-service fakes`, `serve --with-fakes`.

    Published under the entry-point group `payment_service.fakes` (see `vendors/fakes.py`), so
    that a server in production never imports a fake.
    """

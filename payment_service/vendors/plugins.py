"""The plugin manager and the registry of vendors it produces.

Entry points of the group `payment_service.vendors` are loaded (unless disabled, as tests do,
so they never depend on whatever happens to be installed), then the plugins given by the caller
are registered the same way, then every plugin is asked for its vendors through the hook
caller, so pluggy's monitoring (`PAYMENT_TRACE_HOOKS`) sees each call.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import pluggy
from pluggy import HookImpl, Result

from ..settings import Settings
from . import hookspecs
from .errors import DuplicateVendor, UnknownVendor
from .gateway import ObservedVendor
from .interface import Vendor

ENTRY_POINT_GROUP = "payment_service.vendors"

log = logging.getLogger(__name__)
hook_log = logging.getLogger("payment_service.hooks")


def build_manager(
    *,
    load_entry_points: bool = True,
    plugins: Iterable[Any] = (),
    group: str = ENTRY_POINT_GROUP,
) -> pluggy.PluginManager:
    manager = pluggy.PluginManager("payment_service")
    manager.add_hookspecs(hookspecs)
    if load_entry_points:
        manager.load_setuptools_entrypoints(group)
    for plugin in plugins:
        if not manager.is_registered(plugin):
            manager.register(plugin)
    if os.environ.get("PAYMENT_TRACE_HOOKS"):
        trace_hook_calls(manager)
    return manager


def trace_hook_calls(manager: pluggy.PluginManager) -> None:
    """Log each hook call: which plugins ran, and what came back or was raised.

    pluggy's own tracer would print the call's arguments, and `settings` carries gateway
    credentials and key material; so only names and counts are logged, at INFO, since setting
    the variable is the request to see them.
    """

    def before(hook_name: str, impls: Sequence[HookImpl], kwargs: Mapping[str, Any]) -> None:
        names = ", ".join(impl.plugin_name for impl in impls) or "no plugin"
        hook_log.info("hook %s: calling %s", hook_name, names)

    def after(
        outcome: Result[Any],
        hook_name: str,
        impls: Sequence[HookImpl],
        kwargs: Mapping[str, Any],
    ) -> None:
        if outcome.exception is not None:
            hook_log.info("hook %s: raised %r", hook_name, outcome.exception)
        else:
            hook_log.info("hook %s: %d result(s)", hook_name, len(outcome.get_result()))

    manager.add_hookcall_monitoring(before, after)


def vendors_by_plugin(
    manager: pluggy.PluginManager, settings: Settings
) -> Iterator[tuple[str, list[Vendor]]]:
    """Each plugin's vendors with the plugin's name, in registration order.

    The hook is called through pluggy (a caller limited to one plugin at a time), never by
    calling the implementation directly, so monitoring and tracing see every call.
    """
    impls = manager.hook.register_vendors.get_hookimpls()
    for impl in impls:
        others = [other.plugin for other in impls if other is not impl]
        caller = manager.subset_hook_caller("register_vendors", remove_plugins=others)
        for vendors in caller(settings=settings):
            yield impl.plugin_name, list(vendors or [])


@dataclass(frozen=True)
class LoadedVendor:
    vendor: Vendor
    plugin: str
    distribution: str | None


class VendorRegistry:
    """The vendors of one server, by code and by inbound-webhook name."""

    def __init__(self, loaded: Iterable[LoadedVendor]):
        self._by_code: dict[str, LoadedVendor] = {}
        self._by_webhook: dict[str, Vendor] = {}
        for item in loaded:
            code = item.vendor.code
            if code in self._by_code:
                raise DuplicateVendor(
                    f"vendor code {code!r} is registered twice: by plugin "
                    f"{self._by_code[code].plugin!r} and by plugin {item.plugin!r}"
                )
            name = item.vendor.webhook_name
            if name in self._by_webhook:
                raise DuplicateVendor(
                    f"webhook name {name!r} is used by vendors {self._by_webhook[name].code!r} "
                    f"and {code!r}"
                )
            self._by_code[code] = item
            self._by_webhook[name] = item.vendor

    @classmethod
    def from_settings(cls, settings: Settings, plugins: Iterable[Any] = ()) -> VendorRegistry:
        manager = build_manager(load_entry_points=settings.load_plugins, plugins=plugins)
        loaded: list[LoadedVendor] = []
        distributions = {
            manager.get_name(plugin): dist.project_name
            for plugin, dist in manager.list_plugin_distinfo()
        }
        for name, vendors in vendors_by_plugin(manager, settings):
            for vendor in vendors:
                loaded.append(LoadedVendor(ObservedVendor(vendor), name, distributions.get(name)))
        return cls(loaded)

    def get(self, code: str) -> Vendor:
        try:
            return self._by_code[code].vendor
        except KeyError:
            raise UnknownVendor(code) from None

    def for_webhook(self, name: str) -> Vendor | None:
        return self._by_webhook.get(name)

    def __iter__(self) -> Iterator[Vendor]:
        return iter([item.vendor for _, item in sorted(self._by_code.items())])

    @property
    def codes(self) -> list[str]:
        return sorted(self._by_code)

    def describe(self) -> list[dict[str, Any]]:
        """What /monitors/plugins lists: each vendor, its plugin and versions."""
        return [
            {
                "code": code,
                "webhook": f"/payments/webhooks/{item.vendor.webhook_name}",
                "plugin": item.plugin,
                "distribution": item.distribution,
                "version": _version(item.distribution) or item.vendor.version,
            }
            for code, item in sorted(self._by_code.items())
        ]


def _version(distribution: str | None) -> str | None:
    if distribution is None:
        return None
    try:
        return version(distribution)
    except PackageNotFoundError:
        return None

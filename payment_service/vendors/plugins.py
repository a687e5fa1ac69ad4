"""The plugin manager and the registry of vendors it produces.

Entry points of the group `payment_service.vendors` are loaded (unless disabled, as tests do,
so they never depend on whatever happens to be installed), then the plugins given by the caller
are registered the same way, then every plugin is asked for its vendors through the hook
caller, so pluggy's monitoring (`PAYMENT_TRACE_HOOKS`) sees each call.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import pluggy
from pluggy import HookImpl, Result

from ..settings import Settings, Variable, read_variable
from . import hookspecs
from .errors import DuplicateVendor, UnknownVendor, VendorConfigError
from .gateway import ObservedVendor
from .interface import Vendor
from .settings import PluginSettings, given_to

ENTRY_POINT_GROUP = "payment_service.vendors"

log = logging.getLogger(__name__)
hook_log = logging.getLogger("payment_service.hooks")


def build_manager(
    *,
    load_entry_points: bool = True,
    plugins: Iterable[Any] = (),
    group: str = ENTRY_POINT_GROUP,
    trace: bool | None = None,
) -> pluggy.PluginManager:
    """`trace`: log hook calls (`PAYMENT_TRACE_HOOKS`; read from the environment when None,
    for the processes that load no other setting, such as the fakes)."""
    manager = pluggy.PluginManager("payment_service")
    manager.add_hookspecs(hookspecs)
    if load_entry_points:
        manager.load_setuptools_entrypoints(group)
    for plugin in plugins:
        if not manager.is_registered(plugin):
            manager.register(plugin)
    if read_variable("PAYMENT_TRACE_HOOKS") if trace is None else trace:
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


def _each_plugin(manager: pluggy.PluginManager, hook: str, **kwargs: Any) -> Iterator[Any]:
    """(plugin name, its results) for each plugin implementing `hook`, in registration order.

    The hook is called through pluggy (a caller limited to one plugin at a time), never by
    calling the implementation directly, so monitoring and tracing see every call.
    """
    impls = getattr(manager.hook, hook).get_hookimpls()
    for impl in impls:
        others = [other.plugin for other in impls if other is not impl]
        caller = manager.subset_hook_caller(hook, remove_plugins=others)
        yield impl.plugin_name, caller(**kwargs)


def declared_settings(manager: pluggy.PluginManager) -> dict[str, PluginSettings]:
    """What each plugin declares it reads (`register_settings`), by plugin name; a vendor code
    claimed by two plugins stops the server."""
    declared: dict[str, PluginSettings] = {}
    owners: dict[str, str] = {}
    for name, results in _each_plugin(manager, "register_settings"):
        for found in results:
            for code in found.vendor_codes:
                if code in owners:
                    raise DuplicateVendor(
                        f"vendor code {code!r} is claimed twice: by plugin {owners[code]!r} "
                        f"and by plugin {name!r}"
                    )
                owners[code] = name
            declared[name] = found
    return declared


def vendors_by_plugin(
    manager: pluggy.PluginManager,
    settings: Settings,
    declared: Mapping[str, PluginSettings] | None = None,
) -> Iterator[tuple[str, list[Vendor]]]:
    """Each plugin's vendors with the plugin's name, in registration order; each plugin given
    only its own settings (`vendors.settings`; `declared`: the plugins' declarations, when
    already collected)."""
    declared = declared_settings(manager) if declared is None else declared
    impls = manager.hook.register_vendors.get_hookimpls()
    for impl in impls:
        own = declared.get(impl.plugin_name)
        if own is None:
            log.warning(
                "vendor plugin %s declares no settings (register_settings): it is given the "
                "PAYMENT_VENDORS entries and variables no declaration claims",
                impl.plugin_name,
            )
        given = given_to(own, settings, declared.values())
        others = [other.plugin for other in impls if other is not impl]
        caller = manager.subset_hook_caller("register_vendors", remove_plugins=others)
        for vendors in caller(settings=given):
            vendors = list(vendors or [])
            if own is not None:
                _check_declared(impl.plugin_name, own, vendors)
            yield impl.plugin_name, vendors


def _check_declared(plugin: str, own: PluginSettings, vendors: list[Vendor]) -> None:
    """A plugin registers only vendor codes it declared: another code would run on no
    settings (its entry was not given to the plugin)."""
    for vendor in vendors:
        if vendor.code not in own.vendor_codes:
            raise VendorConfigError(
                vendor.code,
                [
                    f"plugin {plugin!r} registers vendor code {vendor.code!r} but its "
                    f"register_settings declares only {', '.join(own.vendor_codes) or 'none'}"
                ],
            )


@dataclass(frozen=True)
class LoadedVendor:
    vendor: Vendor
    plugin: str
    distribution: str | None


class VendorRegistry:
    """The vendors of one server, by code and by inbound-webhook name."""

    def __init__(
        self, loaded: Iterable[LoadedVendor], declared: Mapping[str, PluginSettings] | None = None
    ):
        self.declared: dict[str, PluginSettings] = dict(declared or {})
        """What each plugin declared it reads, by plugin name."""
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
        manager = build_manager(
            load_entry_points=settings.load_plugins, plugins=plugins, trace=settings.trace_hooks
        )
        loaded: list[LoadedVendor] = []
        distributions = {
            manager.get_name(plugin): dist.project_name
            for plugin, dist in manager.list_plugin_distinfo()
        }
        declared = declared_settings(manager)
        for name, vendors in vendors_by_plugin(manager, settings, declared):
            for vendor in vendors:
                observed = ObservedVendor(vendor, manager.hook.charge_billing_key)
                loaded.append(LoadedVendor(observed, name, distributions.get(name)))
        return cls(loaded, declared)

    def variables(self) -> list[Variable]:
        """The environment variables the plugins declared (`register_settings`)."""
        return [variable for own in self.declared.values() for variable in own.variables]

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

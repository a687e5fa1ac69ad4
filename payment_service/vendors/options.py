"""A vendor's settings: base URL, timeout, and credentials per store with a default.

Read from `PAYMENT_VENDORS` (JSON), e.g.

    {"example": {"base_url": "https://api.example.com",
                 "default": {"api_key": "..."},
                 "stores": {"store-a": {"api_key": "..."}}}}

Which credential keys exist is the plugin's business; this only checks they are all there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import UnknownStore, VendorConfigError

if TYPE_CHECKING:
    from .settings import HasVendorSettings


def _no_default() -> Mapping[str, str] | None:
    return None


@dataclass(frozen=True)
class VendorOptions:
    vendor: str
    base_url: str
    timeout_s: float
    default: Mapping[str, str] | None = None
    stores: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def credentials(self, store_id: str) -> Mapping[str, str]:
        """The store's own credentials, else the default ones, else UnknownStore (422)."""
        found = self.stores.get(store_id) or self.default
        if found is None:
            raise UnknownStore(self.vendor, store_id)
        return found

    @classmethod
    def from_settings(
        cls,
        settings: HasVendorSettings,
        vendor: str,
        *,
        base_url: str,
        credential_keys: tuple[str, ...],
        default: Callable[[], Mapping[str, str] | None] = _no_default,
    ) -> VendorOptions:
        """`parse` of the vendor's entry of `settings.vendors` (the `VendorSettings` the plugin
        was given), with the server's vendor timeout; `default()` (e.g. the plugin's
        environment variables) is asked for default credentials only when the entry names
        none."""
        raw = settings.vendors.get(vendor, {})
        return cls.parse(
            vendor,
            raw,
            base_url=base_url,
            timeout_s=settings.vendor_timeout_s,
            credential_keys=credential_keys,
            default=None if "default" in raw else default(),
        )

    @classmethod
    def parse(
        cls,
        vendor: str,
        raw: Mapping[str, Any],
        *,
        base_url: str,
        timeout_s: float,
        credential_keys: tuple[str, ...],
        default: Mapping[str, str] | None = None,
    ) -> VendorOptions:
        """Validate `raw` (the vendor's entry of PAYMENT_VENDORS); `default` fills in missing
        default credentials (e.g. from the plugin's own environment variables)."""
        problems: list[str] = []

        def credentials(where: str, value: Any) -> dict[str, str] | None:
            if not isinstance(value, Mapping):
                problems.append(f"{where} must be an object with {', '.join(credential_keys)}")
                return None
            missing = [k for k in credential_keys if not isinstance(value.get(k), str)]
            if missing:
                problems.append(f"{where} lacks {', '.join(missing)}")
                return None
            return {k: value[k] for k in credential_keys}

        unknown = set(raw) - {"base_url", "timeout_s", "default", "stores"}
        if unknown:
            problems.append(f"unknown option(s): {', '.join(sorted(unknown))}")
        url = raw.get("base_url", base_url)
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            problems.append(f"base_url must be an http(s) URL (got {url!r})")
        timeout = raw.get("timeout_s", timeout_s)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            problems.append(f"timeout_s must be a positive number (got {timeout!r})")
        chosen = credentials("default", raw["default"]) if "default" in raw else default
        stores: dict[str, Mapping[str, str]] = {}
        raw_stores = raw.get("stores", {})
        if not isinstance(raw_stores, Mapping):
            problems.append("stores must be an object of store id to credentials")
        else:
            for store_id, value in raw_stores.items():
                parsed = credentials(f"stores.{store_id}", value)
                if parsed is not None:
                    stores[store_id] = parsed
        if problems:
            raise VendorConfigError(vendor, problems)
        return cls(vendor, str(url).rstrip("/"), float(timeout), chosen, stores)

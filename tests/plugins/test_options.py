"""The plugins' settings: defaults, environment credentials, overrides and configuration errors."""

from __future__ import annotations

from typing import Any

import pytest
from payment_vendor_iamport import IamportVendor
from payment_vendor_toss import TossVendor

from payment_service.vendors import VendorConfigError

from .support import vendor_settings


@pytest.mark.parametrize(
    ("vendor", "host"),
    [(IamportVendor, "https://api.iamport.kr"), (TossVendor, "https://api.tosspayments.com")],
)
def test_defaults_are_the_production_host_and_the_servers_timeout(vendor, host):
    settings = vendor_settings(environ={"PAYMENT_VENDOR_TIMEOUT_S": "7"})
    options = vendor.from_settings(settings).options
    assert options.base_url == host
    assert options.timeout_s == 7.0
    assert options.default is None


def test_default_credentials_come_from_the_originals_variables():
    environ = {
        "PAYMENT_IAMPORT_KEY": "imp-key",
        "PAYMENT_IAMPORT_SECRET": "imp-secret",
        "PAYMENT_TOSS_PAYMENTS_SECRET": "test_sk_env",
    }
    settings = vendor_settings(environ=environ)
    iamport = IamportVendor.from_settings(settings).options
    toss = TossVendor.from_settings(settings).options
    assert iamport.credentials("any-store") == {"imp_key": "imp-key", "imp_secret": "imp-secret"}
    assert toss.credentials("any-store") == {"secret_key": "test_sk_env"}


def test_configured_defaults_win_over_the_environment():
    environ = {"PAYMENT_IAMPORT_KEY": "env", "PAYMENT_TOSS_PAYMENTS_SECRET": "env"}
    vendors = {
        "iamport": {"default": {"imp_key": "k", "imp_secret": "s"}},
        "toss.payments": {"default": {"secret_key": "conf"}},
    }
    settings = vendor_settings(vendors, environ)
    assert IamportVendor.from_settings(settings).options.credentials("a")["imp_key"] == "k"
    assert TossVendor.from_settings(settings).options.credentials("a")["secret_key"] == "conf"


def test_options_override_host_and_timeout():
    vendors = {"toss.payments": {"base_url": "http://127.0.0.1:30771/", "timeout_s": 2.5}}
    options = TossVendor.from_settings(vendor_settings(vendors)).options
    assert (options.base_url, options.timeout_s) == ("http://127.0.0.1:30771", 2.5)


def test_stores_have_their_own_credentials():
    vendors = {
        "iamport": {
            "default": {"imp_key": "k", "imp_secret": "s"},
            "stores": {"store-b": {"imp_key": "kb", "imp_secret": "sb"}},
        }
    }
    options = IamportVendor.from_settings(vendor_settings(vendors)).options
    assert options.credentials("store-b") == {"imp_key": "kb", "imp_secret": "sb"}
    assert options.credentials("store-a") == {"imp_key": "k", "imp_secret": "s"}


def test_half_of_the_iamport_variables_is_a_configuration_error():
    settings = vendor_settings(environ={"PAYMENT_IAMPORT_KEY": "imp-key"})
    with pytest.raises(VendorConfigError) as raised:
        IamportVendor.from_settings(settings)
    assert raised.value.problems == ["PAYMENT_IAMPORT_KEY is set but PAYMENT_IAMPORT_SECRET is not"]


@pytest.mark.parametrize(
    ("code", "raw", "problem"),
    [
        ("iamport", {"base_url": "ftp://x"}, "base_url must be an http(s) URL (got 'ftp://x')"),
        ("toss.payments", {"timeout_s": 0}, "timeout_s must be a positive number (got 0)"),
        ("iamport", {"token": "x"}, "unknown option(s): token"),
        ("iamport", {"default": {"imp_key": "k"}}, "default lacks imp_secret"),
        ("toss.payments", {"stores": {"s1": {"secret": "x"}}}, "stores.s1 lacks secret_key"),
        ("toss.payments", {"stores": []}, "stores must be an object of store id to credentials"),
    ],
)
def test_unusable_options_name_the_problem(code: str, raw: dict[str, Any], problem: str):
    vendor = {"iamport": IamportVendor, "toss.payments": TossVendor}[code]
    with pytest.raises(VendorConfigError) as raised:
        vendor.from_settings(vendor_settings({code: raw}))
    assert raised.value.vendor == code
    assert problem in raised.value.problems

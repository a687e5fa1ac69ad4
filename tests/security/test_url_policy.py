"""The webhook_url policy: what registration refuses on the text alone, and which addresses
delivery may connect to (PAYMENT_WEBHOOK_ALLOWED_NETWORKS and each mode's default)."""

from __future__ import annotations

import ipaddress

import pytest

from payment_service.delivery.url_policy import (
    METADATA_ADDRESSES,
    REFUSED_RANGES,
    AddressPolicy,
    AddressRefused,
    literal_address_problem,
    url_problem,
    without_credentials,
)
from payment_service.settings import Settings, SettingsError
from tests.secret_keys import secret_keys_env


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/hook",
        "https://hooks.example.com:8443/a/b?c=d#e",
        "http://10.1.2.3:8080/",
        "http://[2001:db8::1]/x",
        "http://localhost:3000",
        "HTTPS://Example.COM/",
    ],
)
def test_ordinary_urls_are_accepted(url):
    assert url_problem(url) is None


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("file:///etc/passwd", "http or https"),
        ("gopher://127.0.0.1:6379/_SET", "http or https"),
        ("javascript:alert(1)", "http or https"),
        ("ftp://example.com/", "http or https"),
        ("http://user:password@example.com/", "user:password"),
        ("http://token@example.com/", "user:password"),
        ("http://example.com/\r\nX-Injected: 1", "control"),
        ("http://exa\x00mple.com/", "control"),
        ("http://example.com/ space", "whitespace"),
        ("http://0x7f000001:8080/", "four decimal numbers"),
        ("http://2130706433:8080/", "four decimal numbers"),
        ("http://127.1/", "four decimal numbers"),
        ("http://0177.0.0.1/", "four decimal numbers"),
        ("http://127.000.000.001/", "four decimal numbers"),
        ("http:///nohost", "host"),
        ("http://exa_mple.com/", "valid host"),
        ("http://[::1/", "valid"),
        ("http://example.com:99999/", "valid"),
        ("http://example.com:0/", "port 0"),
        ("http://bücher.example/", "ASCII"),
    ],
)
def test_invalid_urls_are_refused_with_a_reason(url, why):
    problem = url_problem(url)
    assert problem is not None and why in problem


DEV = AddressPolicy.parse(None, "dev")


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "::1",
        "169.254.169.254",  # cloud metadata
        "fe80::1",
        "224.0.0.1",
        "ff02::1",
        "0.0.0.0",
        "0.1.2.3",
        "::",
        "255.255.255.255",
        "240.0.0.1",
        "::ffff:127.0.0.1",  # IPv4-mapped loopback
        "::ffff:169.254.169.254",
        "64:ff9b::7f00:1",  # NAT64 of loopback
        "2002:7f00:1::",  # 6to4 of loopback
        # Cloud metadata services and the special ranges around them.
        "fd00:ec2::254",  # AWS (IPv6)
        "::ffff:fd00:ec2",
        "100.100.100.200",  # Alibaba Cloud
        "100.64.0.1",  # shared address space (carrier-grade NAT)
        "192.0.0.192",  # Oracle Cloud
        "::ffff:100.100.100.200",
        "64:ff9b::6464:64c8",  # NAT64 of 100.100.100.200
        "fec0::1",  # site-local (deprecated, still routed by some stacks)
        "fec0:0:0:ffff::1",
        "198.18.0.1",  # benchmarking
        "192.0.2.1",  # documentation
        "2001:db8::1",
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
        "64:ff9b:1::a00:1",  # local-use NAT64
        "100::1",  # discard-only
        "::127.0.0.1",  # IPv4-compatible
    ],
)
def test_dev_and_real_refuse_internal_addresses_by_default(address):
    assert not DEV.allows(ipaddress.ip_address(address))
    assert not AddressPolicy.parse(None, "real").allows(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.5",
        "172.16.3.4",
        "192.168.1.1",
        "8.8.8.8",
        "fd00::1",
        "fd00:ec3::254",
        "2606:4700::1111",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
    ],
)
def test_dev_and_real_allow_private_and_public_addresses_by_default(address):
    assert DEV.allows(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("fd00:ec2::254", "cloud metadata"),
        ("100.100.100.200", "shared"),
        ("fec0::1", "site-local"),
        ("169.254.169.254", "link-local"),
        ("::1", "loopback"),
    ],
)
def test_registration_names_the_kind_of_refused_address(address, kind):
    host = f"[{address}]" if ":" in address else address
    problem = literal_address_problem(f"http://{host}/hook", DEV)
    assert problem is not None and kind in problem and "PAYMENT_WEBHOOK_ALLOWED_NETWORKS" in problem


def test_every_refused_range_is_declared_in_one_table():
    # The default policy refuses exactly the table's ranges: their first and last addresses
    # are refused, and the addresses just outside them (when not in another entry) are not.
    for network, kind in REFUSED_RANGES:
        assert kind.startswith(("a ", "an "))
        for address in (network[0], network[-1]):
            assert not DEV.allows(address), address


def test_metadata_addresses_stay_refused_inside_a_listed_network_unless_listed_alone():
    broad = AddressPolicy.parse("fd00::/8, 100.64.0.0/10, 169.254.0.0/16", "real")
    assert broad.allows(ipaddress.ip_address("fd00::1"))
    assert broad.allows(ipaddress.ip_address("100.64.0.1"))
    for address in METADATA_ADDRESSES:
        assert not broad.allows(address)
        host = f"[{address}]" if address.version == 6 else str(address)
        assert "metadata" in (literal_address_problem(f"http://{host}/", broad) or "")
    alone = AddressPolicy.parse("fd00:ec2::254, 100.100.100.200/32", "real")
    assert alone.allows(ipaddress.ip_address("fd00:ec2::254"))
    assert alone.allows(ipaddress.ip_address("100.100.100.200"))


def test_local_mode_allows_everything_by_default():
    local = AddressPolicy.parse(None, "local")
    assert local.allows(ipaddress.ip_address("127.0.0.1"))
    assert local.resolve("localhost", 80)


def test_an_explicit_list_allows_its_networks_and_host_names_only():
    policy = AddressPolicy.parse("10.0.0.0/8, 192.168.1.7, hooks.internal", "real")
    assert policy.allows(ipaddress.ip_address("10.200.0.1"))
    assert policy.allows(ipaddress.ip_address("192.168.1.7"))
    assert policy.allows(ipaddress.ip_address("::ffff:10.0.0.1"))
    assert not policy.allows(ipaddress.ip_address("192.168.1.8"))
    assert not policy.allows(ipaddress.ip_address("8.8.8.8"))
    assert policy.trusts_host("HOOKS.internal.")
    assert not policy.trusts_host("other.internal")


def test_a_host_name_resolving_to_loopback_is_refused_at_connect_time():
    with pytest.raises(AddressRefused, match=r"127\.0\.0\.1"):
        DEV.resolve("localhost", 80)
    # …unless the operator lists that very name.
    trusted = AddressPolicy.parse("localhost", "real")
    assert "127.0.0.1" in {address for _, address in trusted.resolve("localhost", 80)}


def test_registration_refuses_address_literals_the_policy_refuses():
    assert literal_address_problem("http://169.254.169.254/latest", DEV)
    assert literal_address_problem("http://[::1]:80/", DEV)
    assert literal_address_problem("http://10.0.0.1/", DEV) is None
    assert literal_address_problem("http://localhost/", DEV) is None  # judged at delivery


def test_the_setting_is_read_and_bad_entries_are_named_at_start():
    base = {"PAYMENT_LOAD_PLUGINS": "false", **secret_keys_env()}
    settings = Settings.load(
        environ={**base, "PAYMENT_MODE": "dev", "PAYMENT_WEBHOOK_ALLOWED_NETWORKS": "10.0.0.0/8"},
        env_file=None,
    )
    assert settings.webhooks.allowed_networks.networks == (ipaddress.ip_network("10.0.0.0/8"),)
    assert Settings.load(
        environ={**base, "PAYMENT_MODE": "dev"}, env_file=None
    ).webhooks.allowed_networks.refuse_internal
    with pytest.raises(SettingsError) as caught:
        Settings.load(
            environ={**base, "PAYMENT_WEBHOOK_ALLOWED_NETWORKS": "10.0.0.0/33, bad_name!, 1.2.3"},
            env_file=None,
        )
    [problem] = caught.value.problems
    assert problem.startswith("PAYMENT_WEBHOOK_ALLOWED_NETWORKS:")
    for entry in ("10.0.0.0/33", "bad_name!", "1.2.3"):
        assert entry in problem


def test_credentials_of_urls_stored_before_the_policy_are_never_echoed():
    assert without_credentials("https://app:pw@hooks.example.com:8443/x?y#z") == (
        "https://hooks.example.com:8443/x?y#z"
    )
    assert without_credentials("http://hooks.example.com/x") == "http://hooks.example.com/x"


def test_by_default_one_receiver_may_use_all_delivery_threads_but_one():
    def limit(**environ: str) -> int:
        return Settings.load(environ=environ, env_file=None).webhooks.host_limit

    assert limit() == 3  # 4 delivery threads by default
    assert limit(PAYMENT_WEBHOOK_WORKERS="8") == 7
    assert limit(PAYMENT_WEBHOOK_WORKERS="1") == 1
    assert limit(PAYMENT_WEBHOOK_WORKERS="8", PAYMENT_WEBHOOK_HOST_CONCURRENCY="2") == 2
    with pytest.raises(SettingsError):
        limit(PAYMENT_WEBHOOK_HOST_CONCURRENCY="0")

"""Which address a request is counted under."""

from __future__ import annotations

import ipaddress

import pytest

from payment_service.security.clients import client_address

PROXIES = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("fd00::/8"))


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "expected"),
    [
        ("192.0.2.1", None, (), "192.0.2.1"),
        # Without trusted proxies the header is anyone's to write: ignored.
        ("192.0.2.1", "203.0.113.5", (), "192.0.2.1"),
        ("10.0.0.2", "203.0.113.5", (), "10.0.0.2"),
        # From a peer that is not a proxy of ours, ignored too.
        ("192.0.2.1", "203.0.113.5", PROXIES, "192.0.2.1"),
        # From our proxy: the rightmost address that is not one of our proxies.
        ("10.0.0.2", "203.0.113.5", PROXIES, "203.0.113.5"),
        ("10.0.0.2", "1.1.1.1, 203.0.113.5", PROXIES, "203.0.113.5"),
        ("10.0.0.2", "1.1.1.1, 203.0.113.5, 10.0.0.9", PROXIES, "203.0.113.5"),
        ("10.0.0.2", " 203.0.113.5 ,10.1.2.3", PROXIES, "203.0.113.5"),
        # Only proxies all the way: the leftmost one is the best we know.
        ("10.0.0.2", "10.0.0.7, 10.0.0.8", PROXIES, "10.0.0.7"),
        # Garbage where a proxy should have written an address: stop at the last sound hop.
        ("10.0.0.2", "203.0.113.5, junk", PROXIES, "10.0.0.2"),
        ("10.0.0.2", "", PROXIES, "10.0.0.2"),
        # IPv6 counts per /64; IPv4-mapped addresses are IPv4.
        ("2001:db8::1", None, (), "2001:db8::/64"),
        ("2001:db8:0:0:ffff::1", None, (), "2001:db8::/64"),
        ("fd00::1", "2001:db8:aa:bb::5", PROXIES, "2001:db8:aa:bb::/64"),
        ("::ffff:192.0.2.1", None, (), "192.0.2.1"),
        (None, "203.0.113.5", PROXIES, "unknown"),
    ],
)
def test_client_address(peer, forwarded, trusted, expected):
    assert client_address(peer, forwarded, trusted) == expected

"""Which address a request comes from: the peer, or what trusted proxies say it forwarded.

`X-Forwarded-For` is a list each proxy appends its own peer to, so only its right end is
written by proxies we run; anything further left may come from the client itself. The client
is therefore the rightmost address that is not one of our proxies, and the header counts only
when the direct peer is one of them (otherwise anyone could name any address).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from ..settings import IPNetwork

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# An IPv6 host usually owns a whole /64 and can pick any address in it: count the block.
IPV6_CLIENT_PREFIX = 64
# A site is usually given a /48 and can pick any of its 65,536 /64s: that has a budget too.
IPV6_SITE_PREFIX = 48
UNKNOWN = "unknown"


def client_address(
    peer: str | None, forwarded_for: str | None, trusted: Iterable[IPNetwork]
) -> str:
    """The throttling key of a request: an IPv4 address or an IPv6 /64 block, as text."""
    networks = tuple(trusted)
    address = _parse(peer)
    if address is None:
        return UNKNOWN
    if forwarded_for and _trusted(address, networks):
        for hop in reversed([part.strip() for part in forwarded_for.split(",")]):
            parsed = _parse(hop)
            if parsed is None:
                # A proxy of ours never writes this; stop at the last address we can vouch for.
                break
            address = parsed
            if not _trusted(address, networks):
                break
    return _key(address)


def _parse(text: str | None) -> IPAddress | None:
    if not text:
        return None
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: IPAddress, networks: tuple[IPNetwork, ...]) -> bool:
    return any(address in network for network in networks)


def _key(address: IPAddress) -> str:
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{address}/{IPV6_CLIENT_PREFIX}", strict=False))
    return str(address)


def site_block(client: str) -> str | None:
    """The IPv6 /48 block around a client key of `client_address` (None for IPv4, unknown)."""
    try:
        network = ipaddress.ip_network(client, strict=False)
    except ValueError:
        return None
    if network.version != 6:
        return None
    return str(network.supernet(new_prefix=IPV6_SITE_PREFIX))

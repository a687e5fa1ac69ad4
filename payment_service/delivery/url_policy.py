"""Where webhooks may be sent (SSRF defence).

Two checks, at two moments:

* `url_problem` — at registration, on the URL text alone: http or https, a host, no
  `user:password@`, no whitespace or control characters, and no obfuscated numeric host
  (`0x7f000001`, `2130706433`, `127.1`, `0177.0.0.1`): only canonical dotted-quad IPv4 or
  bracketed IPv6 literals, or host names.
* `AddressPolicy` — at delivery, on every address the host resolves to, *at connect time*
  (the sender connects to exactly the address that was checked, so a DNS answer that changes
  between check and connect — DNS rebinding — gains nothing).

`PAYMENT_WEBHOOK_ALLOWED_NETWORKS` lists CIDRs and/or host names. A listed host name is trusted
whatever it resolves to; any other host is allowed when every address it resolves to lies in a
listed network. Unset, `local` mode allows everything and `dev`/`real` allow everything but
the ranges of `REFUSED_RANGES` (loopback, link-local, cloud metadata services, shared and
special-purpose ranges, multicast, unspecified and reserved addresses); private ranges stay
allowed, since the services of one company usually live there. A cloud metadata address
(`METADATA_ADDRESSES`) is refused even inside a listed network unless listed by itself.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import SplitResult, urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

SCHEMES = ("http", "https")
SETTING = "PAYMENT_WEBHOOK_ALLOWED_NETWORKS"
_HOST_CHARACTERS = set("abcdefghijklmnopqrstuvwxyz0123456789-.")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

# Every range `dev` and `real` refuse by default, in one place: (network, what it is, with its
# article). The first match names the kind in the 400 and the attempt's error, so the narrow
# entries come before the ranges that contain them. Addresses hidden in IPv6 (mapped, 6to4,
# NAT64, Teredo) are unwrapped before they are looked up here.
REFUSED_RANGES: tuple[tuple[Network, str], ...] = tuple(
    (ipaddress.ip_network(cidr), kind)
    for cidr, kind in (
        # IPv4
        ("0.0.0.0/8", "a 'this network'"),  # Linux connects 0.x.x.x to the local host
        ("127.0.0.0/8", "a loopback"),
        ("169.254.0.0/16", "a link-local"),  # cloud metadata at 169.254.169.254
        ("100.64.0.0/10", "a shared (carrier-grade NAT)"),  # Alibaba: 100.100.100.200
        ("192.0.0.0/24", "an IETF protocol"),  # Oracle Cloud: 192.0.0.192
        ("192.0.2.0/24", "a documentation"),
        ("198.51.100.0/24", "a documentation"),
        ("203.0.113.0/24", "a documentation"),
        ("198.18.0.0/15", "a benchmarking"),
        ("192.88.99.0/24", "a 6to4 relay"),
        ("224.0.0.0/4", "a multicast"),
        ("255.255.255.255/32", "a broadcast"),
        ("240.0.0.0/4", "a reserved"),
        # IPv6
        ("::/128", "an unspecified"),
        ("::1/128", "a loopback"),
        ("::/3", "a reserved"),  # IPv4-compatible, discard-only 100::/64, local NAT64…
        ("2001::/23", "an IETF protocol"),  # Teredo, benchmarking, ORCHID
        ("2001:db8::/32", "a documentation"),
        ("3fff::/20", "a documentation"),
        ("4000::/2", "a reserved"),
        ("8000::/2", "a reserved"),
        ("c000::/3", "a reserved"),
        ("e000::/4", "a reserved"),
        ("f000::/5", "a reserved"),
        ("f800::/6", "a reserved"),
        ("fd00:ec2::/32", "a cloud metadata"),  # AWS: fd00:ec2::254 (and its DNS, NTP)
        ("fe00::/9", "a reserved"),
        ("fe80::/10", "a link-local"),
        ("fec0::/10", "a site-local"),
        ("ff00::/8", "a multicast"),
    )
)

# The instance metadata services of the clouds: refused even inside a network the operator
# lists (a broad `fd00::/8` or `100.64.0.0/10`), unless the address is listed by itself.
METADATA_ADDRESSES: frozenset[Address] = frozenset(
    ipaddress.ip_address(text)
    for text in ("169.254.169.254", "100.100.100.200", "192.0.0.192", "fd00:ec2::254")
)


# Threads that resolve host names for deliveries, per process. `getaddrinfo` cannot be
# interrupted, so a lookup runs on one of these while the delivery waits at most until its
# deadline; a name whose lookup hangs holds a resolver thread (until the system resolver gives
# up: resolv.conf's `timeout` × `attempts`), never a delivery thread. Many at once for the 4
# delivery threads: only when all are held do further lookups wait in line, and those still
# end at their own deadlines.
RESOLVER_THREADS = 32
_resolver: ThreadPoolExecutor | None = None
_resolver_lock = threading.Lock()


def lookup(host: str, port: int, timeout_s: float | None = None) -> list[Any]:
    """`socket.getaddrinfo(host, port)` for a stream socket, given up (TimeoutError) after
    `timeout_s` seconds (None: wait as long as the resolver takes)."""
    if timeout_s is None:
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    global _resolver
    with _resolver_lock:
        if _resolver is None:
            _resolver = ThreadPoolExecutor(RESOLVER_THREADS, thread_name_prefix="resolver")
        pending = _resolver.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        return pending.result(timeout=max(timeout_s, 0.0))
    except FutureTimeout:
        pending.cancel()  # still waiting in line: it never runs
        raise TimeoutError(f"resolving {host} took longer than the deadline") from None


class AddressRefused(Exception):
    """The webhook's host resolves to an address the policy refuses (a permanent failure)."""


def url_problem(url: str) -> str | None:
    """Why `url` cannot be a webhook_url, or None. Looks at the text only (no DNS)."""
    if not url.isascii():
        return "Must be ASCII (percent-encode other characters, IDN hosts in punycode)."
    if any(character.isspace() or not character.isprintable() for character in url):
        return "Must not contain whitespace or control characters."
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "Must be a valid http or https URL."
    if parts.scheme.lower() not in SCHEMES:
        return "Must be an http or https URL."
    if "@" in parts.netloc:
        return "Must not contain user:password (credentials are never stored)."
    host = parts.hostname
    if not host:
        return "Must name a host."
    if port == 0:
        return "Must not use port 0."
    return _host_problem(host, parts)


def without_credentials(url: str) -> str:
    """`url` minus any `user:password@` (rows stored before registration refused them are
    never echoed with their credentials)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if "@" not in parts.netloc:
        return url
    return parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]).geturl()


def literal_address_problem(url: str, policy: AddressPolicy) -> str | None:
    """Why the policy refuses `url` already at registration: its host is an address literal the
    policy refuses (host names are judged at delivery, on what they resolve to then)."""
    host = urlsplit(url).hostname or ""
    try:
        address = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return None
    if policy.allows(address):
        return None
    return refusal_reason(address, policy)


def refusal_reason(address: Address, policy: AddressPolicy) -> str:
    """Why `policy` refuses `address`, in words that name the setting deciding it (for the
    caller of the API, who cannot see the server's configuration)."""
    if policy.refuse_internal:
        return (
            f"{address} is {_kind(address)} address. Outside local mode, webhooks are never "
            "sent to internal or special addresses (loopback, link-local, cloud metadata, "
            "shared, multicast, reserved, unspecified) unless the server's "
            f"{SETTING} lists them: use an address the server may reach, or ask its operator "
            "to add this one (or its network) there."
        )
    if _unwrapped(address) in METADATA_ADDRESSES:
        return (
            f"{address} is a cloud metadata address, refused unless the server's {SETTING} "
            "lists it by itself: use another address."
        )
    return (
        f"{address} is not among the networks the server's {SETTING} allows: use an address "
        "in them, or ask the server's operator to add this one (or its network) there."
    )


def _refused_range(address: Address) -> tuple[Network, str] | None:
    """The entry of REFUSED_RANGES `address` (unwrapped) lies in, or None."""
    plain = _unwrapped(address)
    for network, kind in REFUSED_RANGES:
        if plain.version == network.version and plain in network:
            return network, kind
    return None


def _kind(address: Address) -> str:
    """What kind of internal address `address` is (an article included)."""
    found = _refused_range(address)
    return found[1] if found else "an internal"


def _host_problem(host: str, parts: SplitResult) -> str | None:
    if parts.netloc.split("]")[0].startswith("["):
        try:
            ipaddress.IPv6Address(host.split("%")[0])
        except ValueError:
            return "Must have a valid IPv6 address in brackets."
        return None
    if not set(host) <= _HOST_CHARACTERS or ".." in host or host.startswith((".", "-")):
        return "Must name a valid host (letters, digits, '-' and '.'; IDN hosts in punycode)."
    last_label = host.rstrip(".").rsplit(".", 1)[-1]
    # No real top-level domain is numeric, so such a host is an address. The C resolver reads
    # hex, octal and short forms (0x7f000001, 2130706433, 127.1); only the canonical dotted
    # quad is accepted, so what is checked is what every reader of the URL sees.
    if last_label.isdigit() or last_label.startswith("0x"):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return "Must write an IPv4 address as four decimal numbers (e.g. 10.0.0.1)."
    return None


def _unwrapped(address: Address) -> Address:
    """The IPv4 address hidden in an IPv6 one (mapped, 6to4, NAT64), else the address."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.sixtofour is not None:
            return address.sixtofour
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def is_internal(address: Address) -> bool:
    """Addresses a webhook must never reach outside `local` mode unless listed explicitly."""
    return _refused_range(address) is not None


@dataclass(frozen=True)
class AddressPolicy:
    """Which addresses (and host names) webhooks may be delivered to."""

    networks: tuple[Network, ...] = ()
    hosts: frozenset[str] = field(default_factory=frozenset)
    allow_all: bool = False
    """True: anything goes (`local` mode's default)."""
    refuse_internal: bool = False
    """True: the dev/real default — all but `is_internal` addresses."""

    @classmethod
    def parse(cls, text: str | None, mode: str) -> AddressPolicy:
        """From the setting's text (None: the mode's default). Raises ValueError naming every
        entry that is neither a network nor a host name."""
        if text is None or not text.strip():
            if mode == "local":
                return cls(allow_all=True)
            return cls(refuse_internal=True)
        networks: list[Network] = []
        hosts: set[str] = set()
        bad: list[str] = []
        for entry in (item.strip() for item in text.split(",")):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
                continue
            except ValueError:
                pass
            name = entry.lower().rstrip(".")
            if _host_problem(name, urlsplit(f"http://{name}")) is None and not name[-1].isdigit():
                hosts.add(name)
            else:
                bad.append(entry)
        if bad:
            raise ValueError(f"neither a network (CIDR) nor a host name: {', '.join(bad)}")
        return cls(networks=tuple(networks), hosts=frozenset(hosts))

    def trusts_host(self, host: str) -> bool:
        return self.allow_all or host.lower().rstrip(".") in self.hosts

    def allows(self, address: Address) -> bool:
        if self.allow_all:
            return True
        if self.refuse_internal:
            return not is_internal(address)
        plain = _unwrapped(address)
        if plain in METADATA_ADDRESSES and not any(
            network.num_addresses == 1 and plain in network for network in self.networks
        ):
            return False
        return any(
            candidate in network
            for network in self.networks
            for candidate in {address, plain}
            if candidate.version == network.version
        )

    def resolve(
        self, host: str, port: int, timeout_s: float | None = None
    ) -> list[tuple[socket.AddressFamily, str]]:
        """The addresses to connect to, each one checked; AddressRefused when none may be used.

        Every address must pass (not just one): a name that resolves to a public and a loopback
        address is refused, so the order the resolver returns cannot be played with. With
        `timeout_s`, TimeoutError when the resolver has not answered by then (`lookup`).
        """
        infos = lookup(host, port, timeout_s)
        found: list[tuple[socket.AddressFamily, str]] = []
        for family, _, _, _, sockaddr in infos:
            text = str(sockaddr[0]).split("%")[0]
            if (family, text) not in found:
                found.append((family, text))
        if self.trusts_host(host):
            return found
        refused = [text for _, text in found if not self.allows(ipaddress.ip_address(text))]
        if refused:
            raise AddressRefused(
                f"{host} resolves to {', '.join(refused)}, which {SETTING} does not allow"
            )
        return found

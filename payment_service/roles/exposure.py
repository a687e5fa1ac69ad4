"""`local` mode is for one machine: it accepts the published connection keys (anyone can read
and forge its traffic), sends webhooks anywhere and answers any browser origin. So the API
refuses to listen in that mode on anything but a loopback interface, unless the operator
names the danger (`serve --unsafe-expose-local-mode`, or `PAYMENT_UNSAFE_EXPOSE_LOCAL_MODE=true`
where gunicorn is run directly)."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable

from ..settings import Settings

FLAG = "--unsafe-expose-local-mode"
VARIABLE = "PAYMENT_UNSAFE_EXPOSE_LOCAL_MODE"


def bound_host(address: str) -> str | None:
    """The host of a gunicorn bind address (`host:port`, `[v6]:port`, `host`), or None for one
    that is no network interface (`unix:/path`, `fd://3`)."""
    if address.startswith(("unix:", "fd://")):
        return None
    if address.startswith("["):
        return address[1:].split("]", 1)[0]
    if address.count(":") > 1:  # a bare IPv6 address
        return address
    return address.rsplit(":", 1)[0] if ":" in address else address


def is_loopback(host: str) -> bool:
    """Whether every address `host` stands for is a loopback one (an unresolvable name: no)."""
    if host in ("", "*"):
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError:
        return False
    return bool(found) and all(
        ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]).is_loopback for info in found
    )


def exposure_problem(settings: Settings, addresses: Iterable[str]) -> str | None:
    """Why the API must not listen on `addresses` in this mode, or None."""
    if settings.mode != "local" or settings.unsafe_expose_local_mode:
        return None
    for address in addresses:
        host = bound_host(address)
        if host is not None and not is_loopback(host):
            return (
                f"refusing to listen on {host or '*'} in local mode: PAYMENT_MODE=local uses the "
                "published connection keys (anyone can read and forge requests), sends "
                "webhooks to any address and answers any browser origin. Listen on 127.0.0.1, "
                "or set PAYMENT_MODE=dev or real with keys of your own; if every machine that "
                f"can reach {host or 'this host'} is yours, {FLAG} (or {VARIABLE}=true) forces it"
            )
    return None

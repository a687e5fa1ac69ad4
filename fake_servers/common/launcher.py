"""What `python -m fake_servers.<gateway>` shares: the common options, and serving one fake in
the foreground until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any

from .store import Expiration


def parser(gateway: str, title: str, default_port: int) -> argparse.ArgumentParser:
    """The options every fake takes: --host, --port, --webhook-url, and its records' lifetime."""
    defaults = Expiration()
    parser = argparse.ArgumentParser(
        prog=f"python -m fake_servers.{gateway}", description=f"{title} server."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (%(default)s)")
    parser.add_argument(
        "--port", type=int, default=default_port, help="port (%(default)s), 0 for any free one"
    )
    parser.add_argument(
        "--webhook-url", help="where webhooks are posted (default: the fake's /internal/webhook)"
    )
    parser.add_argument(
        "--expiration",
        type=float,
        default=defaults.seconds,
        help="seconds a record is kept (%(default)s)",
    )
    parser.add_argument(
        "--capacity", type=int, default=defaults.capacity, help="records kept (%(default)s)"
    )
    return parser


def accepted(parser: argparse.ArgumentParser, flag: str, dest: str, default: str) -> None:
    """A repeatable option for the credentials the fake accepts (`--secret-key KEY ...`, into
    `dest`); None when not given, for the fake's default."""
    what = flag.removeprefix("--").replace("-", " ")
    parser.add_argument(
        flag,
        action="append",
        dest=dest,
        metavar=dest.removesuffix("s").upper(),
        help=f"accepted {what}, repeatable (default: {default})",
    )


def common(args: argparse.Namespace) -> dict[str, Any]:
    """The constructor arguments every fake takes, from the common options."""
    return {
        "host": args.host,
        "port": args.port,
        "webhook_url": args.webhook_url,
        "expiration": Expiration(seconds=args.expiration, capacity=args.capacity),
    }


def serve(fake: Any, title: str) -> int:
    """Start `fake`, say where it listens, and serve until SIGINT or SIGTERM (exit status 0);
    1 when its address cannot be bound."""
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    try:
        fake.start()
    except (OSError, SystemExit) as error:
        # Werkzeug reports a failed bind by printing it and exiting.
        print(error if isinstance(error, OSError) else "cannot listen", file=sys.stderr)
        return 1
    print(f"{title} listening on {fake.url} (webhooks: {fake.webhook_url})", flush=True)
    try:
        # A timed wait keeps the main thread responsive to signals on every platform.
        while not stopping.wait(0.5):
            pass
    finally:
        fake.stop()
    return 0

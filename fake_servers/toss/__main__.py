"""`python -m fake_servers.toss`: run the fake Toss Payments server until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from fake_servers.common.store import Expiration

from .auth import DEFAULT_SECRET_KEY
from .fake import DEFAULT_PORT, FakeToss


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    defaults = Expiration()
    parser = argparse.ArgumentParser(
        prog="python -m fake_servers.toss", description="Fake Toss Payments server."
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface (default: %(default)s)")
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help="port, 0 for any free one (default: %(default)s)",
    )
    parser.add_argument(
        "--webhook-url", help="where webhooks are posted (default: the fake's /internal/webhook)"
    )
    parser.add_argument(
        "--secret-key",
        action="append",
        dest="secret_keys",
        help=f"accepted secret key, repeatable (default: {DEFAULT_SECRET_KEY})",
    )
    parser.add_argument(
        "--expiration",
        type=float,
        default=defaults.seconds,
        help="seconds a record is kept (default: %(default)s)",
    )
    parser.add_argument(
        "--capacity",
        type=int,
        default=defaults.capacity,
        help="records kept per store (default: %(default)s)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    fake = FakeToss(
        host=args.host,
        port=args.port,
        webhook_url=args.webhook_url,
        expiration=Expiration(seconds=args.expiration, capacity=args.capacity),
        secret_keys=args.secret_keys,
    )
    stopping = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        fake.start()
    except OSError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"Fake Toss Payments listening on {fake.url} (webhooks: {fake.webhook_url})", flush=True)
    # A timed wait keeps the main thread responsive to signals on every platform.
    while not stopping.wait(0.5):
        pass
    fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`python -m fake_servers.portone`: run the fake PortOne V2 server until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from fake_servers.common.store import Expiration

from .auth import DEFAULT_API_SECRET
from .fake import DEFAULT_PORT, DEFAULT_WEBHOOK_SECRET, FakePortOne
from .records import DEFAULT_STORE_ID


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    defaults = Expiration()
    parser = argparse.ArgumentParser(
        prog="python -m fake_servers.portone", description="Fake PortOne V2 server."
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface (default: %(default)s)")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="port, 0 for any free one (%(default)s)"
    )
    parser.add_argument(
        "--webhook-url", help="where webhooks are posted (default: the fake's /internal/webhook)"
    )
    parser.add_argument(
        "--api-secret",
        action="append",
        dest="api_secrets",
        help=f"accepted API secret, repeatable (default: {DEFAULT_API_SECRET})",
    )
    parser.add_argument("--store-id", default=DEFAULT_STORE_ID, help="default store id")
    parser.add_argument(
        "--webhook-secret",
        default=DEFAULT_WEBHOOK_SECRET,
        help="whsec_ secret the webhooks are signed with (default: %(default)s)",
    )
    parser.add_argument("--expiration", type=float, default=defaults.seconds)
    parser.add_argument("--capacity", type=int, default=defaults.capacity)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        fake = FakePortOne(
            host=args.host,
            port=args.port,
            webhook_url=args.webhook_url,
            expiration=Expiration(seconds=args.expiration, capacity=args.capacity),
            api_secrets=args.api_secrets,
            store_id=args.store_id,
            webhook_secret=args.webhook_secret,
        )
    except ValueError as error:
        print(f"unusable webhook secret: {error}", file=sys.stderr)
        return 2
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
    print(f"Fake PortOne V2 listening on {fake.url} (webhooks: {fake.webhook_url})", flush=True)
    while not stopping.wait(0.5):
        pass
    fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

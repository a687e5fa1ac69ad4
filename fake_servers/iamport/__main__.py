"""`python -m fake_servers.iamport`: serve a fake iamport until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from .fake import DEFAULT_HOST, DEFAULT_PORT, FakeIamport


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m fake_servers.iamport", description="Serve a fake iamport REST API."
    )
    parser.add_argument("--host", default=DEFAULT_HOST, help="address to bind (%(default)s)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (%(default)s)")
    parser.add_argument(
        "--webhook-url",
        default=None,
        help="where webhooks go for payments without notice_url (default: own /internal/webhook)",
    )
    args = parser.parse_args(argv)

    stopping = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)

    fake = FakeIamport(host=args.host, port=args.port, webhook_url=args.webhook_url).start()
    print(f"fake iamport listening on {fake.url} (webhooks: {fake.webhook_url})", flush=True)
    try:
        # A timed wait keeps the main thread responsive to signals.
        while not stopping.wait(0.5):
            pass
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

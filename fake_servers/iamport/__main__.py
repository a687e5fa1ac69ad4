"""`python -m fake_servers.iamport`: serve a fake iamport until SIGINT or SIGTERM."""

from __future__ import annotations

import sys

from fake_servers.common import launcher

from .fake import DEFAULT_PORT, FakeIamport

TITLE = "fake iamport"


def main(argv: list[str] | None = None) -> int:
    # Webhooks go to a payment's notice_url when it has one, else to --webhook-url.
    args = launcher.parser("iamport", TITLE, DEFAULT_PORT).parse_args(argv)
    return launcher.serve(FakeIamport(**launcher.common(args)), TITLE)


if __name__ == "__main__":
    sys.exit(main())

"""`python -m fake_servers.toss`: run the fake Toss Payments server until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import sys

from fake_servers.common import launcher

from .auth import DEFAULT_SECRET_KEY
from .fake import DEFAULT_PORT, FakeToss

TITLE = "Fake Toss Payments"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = launcher.parser("toss", TITLE, DEFAULT_PORT)
    launcher.accepted(parser, "--secret-key", "secret_keys", DEFAULT_SECRET_KEY)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return launcher.serve(FakeToss(**launcher.common(args), secret_keys=args.secret_keys), TITLE)


if __name__ == "__main__":
    sys.exit(main())

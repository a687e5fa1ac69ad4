"""`python -m fake_servers.portone`: run the fake PortOne V2 server until SIGINT or SIGTERM."""

from __future__ import annotations

import sys

from fake_servers.common import launcher

from .auth import DEFAULT_API_SECRET
from .fake import DEFAULT_PORT, DEFAULT_WEBHOOK_SECRET, FakePortOne
from .records import DEFAULT_STORE_ID

TITLE = "Fake PortOne V2"


def main(argv: list[str] | None = None) -> int:
    parser = launcher.parser("portone", TITLE, DEFAULT_PORT)
    launcher.accepted(parser, "--api-secret", "api_secrets", DEFAULT_API_SECRET)
    parser.add_argument("--store-id", default=DEFAULT_STORE_ID, help="default store id")
    parser.add_argument(
        "--webhook-secret",
        default=DEFAULT_WEBHOOK_SECRET,
        help="whsec_ secret the webhooks are signed with (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    try:
        fake = FakePortOne(
            **launcher.common(args),
            api_secrets=args.api_secrets,
            store_id=args.store_id,
            webhook_secret=args.webhook_secret,
        )
    except ValueError as error:
        print(f"unusable webhook secret: {error}", file=sys.stderr)
        return 2
    return launcher.serve(fake, TITLE)


if __name__ == "__main__":
    sys.exit(main())

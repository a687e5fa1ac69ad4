"""A wire-compatible fake of the iamport REST API (as `fake-iamport-server` answered it).

    with FakeIamport() as fake:            # a free port; webhooks to its own sink
        requests.post(f"{fake.url}/users/getToken", json={...})

`python -m fake_servers.iamport --port 10851 --webhook-url URL` serves one from the command line.
"""

from .app import create_app
from .checkout import DEFAULT_MERCHANT_CODE
from .fake import DEFAULT_CREDENTIALS, DEFAULT_PORT, FakeIamport

__all__ = [
    "DEFAULT_CREDENTIALS",
    "DEFAULT_MERCHANT_CODE",
    "DEFAULT_PORT",
    "FakeIamport",
    "create_app",
]

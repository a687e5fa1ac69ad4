"""The Flask application of a fake iamport."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask

from fake_servers.common.checkout import checkout_routes
from fake_servers.common.http import install_conventions

from .checkout import IamportCheckout
from .routes import EXTENSION, routes

if TYPE_CHECKING:
    from .fake import FakeIamport

# Fastify's default body limit, which the original ran with.
MAX_BODY_BYTES = 1024 * 1024


def create_app(fake: FakeIamport) -> Flask:
    """A WSGI app answering like iamport from `fake`'s state.

    Several apps may serve the same fake (e.g. one in-process, one under another WSGI server).
    """
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.extensions[EXTENSION] = fake.state
    install_conventions(app)
    app.register_blueprint(routes)
    # The stand-in iamport.js and the window it opens (not iamport's REST API).
    app.register_blueprint(checkout_routes(IamportCheckout(fake.state), fake.state))
    return app

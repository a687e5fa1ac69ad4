"""The API with the demo shop mounted at `/demo`: what `serve --with-fakes` runs in local mode
(`demo_shop`, a merchant page paying through the fakes' stand-in SDKs). Its workers read where
the shop is from `PAYMENT_DEMO_SHOP`, which `serve` sets for its API child (internal)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from demo_shop import DemoShop

from ..app import create_app
from .api import DEMO_ENVIRONMENT

app = create_app()
_runtime = app.extensions["payment_service"]
_given = json.loads(os.environ[DEMO_ENVIRONMENT])
_connection = _runtime.settings.keys.connection
DemoShop(
    _given["api_url"],
    _connection.key,
    _connection.iv,
    _given["fakes"],
    directory=Path(_given["directory"]),
).install(app)

"""Running the API under gunicorn, optionally beside the fake gateways."""

from __future__ import annotations

import logging
from typing import Any

from gunicorn.app.base import BaseApplication

from .settings import Settings

log = logging.getLogger(__name__)


class GunicornServer(BaseApplication):
    """gunicorn configured from code; each worker builds its own app (and delivery pool)."""

    def __init__(self, settings: Settings, options: dict[str, Any]):
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from .app import create_app

        return create_app(self.settings)


def serve(settings: Settings, *, host: str, port: int, workers: int, with_fakes: bool) -> None:
    from .cli import prepare_database

    prepare_database(settings)
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        # Threads let one worker answer a gateway that calls back while a request waits on it.
        "threads": 8,
        "timeout": 60,
        "graceful_timeout": 10,
        "accesslog": "-",
        "errorlog": "-",
        "loglevel": "info",
    }
    GunicornServer(settings, options).run()

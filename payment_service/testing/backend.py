"""The payment server and the fake gateways, in this process, on free ports, wired together.

    with PaymentBackend() as backend:
        uid = backend.customer.pay_by_card("some.vendor", 20000, order_id)
        ...  # call backend.url with the connection key (backend.key, backend.iv)

The database is a temporary SQLite file unless `database_url` is given (it is then upgraded to
the current schema, and left in place). The fakes are those the installed vendor plugins (and
`plugins`) contribute, on free ports unless `fake_ports` says otherwise; `backend.<name>` is
the server of the fake of that name.

Unlike a served instance, where the sender and the housekeeper are processes of their own, the
backend runs both as threads of this process: a webhook leaves as soon as its change commits,
and the housekeeping jobs run every `PAYMENT_HOUSEKEEPING_INTERVAL_S` (or at once, at a chosen
time, with `run_housekeeping(now=...)`).
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Flask

from fake_servers.common.clock import FakeClock
from fake_servers.common.server import Lifecycle, ServerThread

from ..app import create_app
from ..db import Database
from ..db.migrate import upgrade
from ..delivery.dispatcher import Dispatcher
from ..housekeeping import JOBS, Housekeeper, run_jobs
from ..runtime import Runtime
from ..settings import Settings
from .customer import Customer
from .fakes import GatewayFakes, Ports
from .receiver import WebhookReceiver


class PaymentBackend(Lifecycle):
    def __init__(
        self,
        database_url: str | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        plugins: Iterable[Any] = (),
        fake_ports: Ports = 0,
        clock: FakeClock | None = None,
    ):
        self.database_url = database_url
        self.environ = dict(environ or {})
        self.host = host
        self.port = port
        self.plugins = tuple(plugins)
        # One time for the server and its fakes: `backend.clock.advance(seconds)` moves both
        # (a token expiring, a virtual account falling due, a janitor's schedule) without sleeping.
        self.clock = clock if clock is not None else FakeClock()
        self.fakes = GatewayFakes(host, fake_ports, plugins=self.plugins, clock=self.clock)
        self.customer = Customer(self.fakes)
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._server: ServerThread | None = None
        self._receivers: list[WebhookReceiver] = []
        self.app: Flask | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def open(self) -> PaymentBackend:
        if self._server is not None:
            return self
        try:
            self._open()
        except BaseException:
            self.close()
            raise
        return self

    def _open(self) -> None:
        url = self.database_url
        if url is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="payment-backend-")
            url = f"sqlite:///{Path(self._tmp.name) / 'payments.sqlite3'}"
        self.fakes.start()
        environ = {
            "PAYMENT_MODE": "local",
            "PAYMENT_DATABASE_URL": url,
            "PAYMENT_VENDORS": json.dumps(self.fakes.vendor_options()),
            **self.environ,
        }
        settings = Settings.load(environ=environ, env_file=None)
        database = Database(
            settings.database_url, settings.database_schema, timeout_s=settings.database_timeout_s
        )
        upgrade(database)
        self.app = create_app(
            settings, database=database, plugins=self.plugins, clock=self.clock.now
        )
        runtime = self.runtime
        dispatcher = Dispatcher(runtime).start()
        runtime.outbox_written = dispatcher.wake  # in one process, no need to wait for a poll
        runtime.closers.append(dispatcher.stop)
        runtime.closers.append(Housekeeper(runtime).start().stop)
        self._server = ServerThread(self.app, self.host, self.port).start()
        self.fakes.point_webhooks_at(self._server.url)

    def start(self) -> PaymentBackend:
        return self.open()

    def stop(self) -> None:
        self.close()

    def close(self) -> None:
        for receiver in self._receivers:
            receiver.stop()
        self._receivers.clear()
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self.app is not None:
            self.runtime.close()
            self.app = None
        self.fakes.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    # -- what a test uses -------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the backend is not open")
        return self._server.url

    @property
    def runtime(self) -> Runtime:
        if self.app is None:
            raise RuntimeError("the backend is not open")
        return self.app.extensions["payment_service"]

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    @property
    def key(self) -> str:
        """The connection encryption key (what the SDK and webhook receivers need)."""
        return self.settings.keys.connection.key

    @property
    def iv(self) -> str:
        return self.settings.keys.connection.iv

    @property
    def previous_keys(self) -> list[tuple[str, str]]:
        """The previous connection pairs the server still accepts (during a rotation)."""
        return [(c.key, c.iv) for c in self.settings.keys.connection.previous]

    def __getattr__(self, name: str) -> Any:
        """A fake gateway's server by its name (`backend.<name>`), as `fakes.<name>`."""
        fakes: GatewayFakes | None = self.__dict__.get("fakes")
        if fakes is None or name not in fakes.gateways:
            raise AttributeError(f"{type(self).__name__!r} has no attribute {name!r}")
        return fakes.gateways[name].server

    def run_housekeeping(self, now: datetime | None = None) -> dict[str, bool]:
        """Run every housekeeping job (`housekeeping.JOBS`) once, at `now` (default: the
        backend's clock); return whether each succeeded, by name."""
        at = now if now is not None else self.clock.now()
        at_now = dataclasses.replace(self.runtime, clock=lambda: at, closers=[])
        return run_jobs(at_now, JOBS)

    def webhook_receiver(self) -> WebhookReceiver:
        """A started receiver of this backend's webhooks, stopped with the backend."""
        receiver = WebhookReceiver(
            self.key, self.iv, host=self.host, previous_keys=self.previous_keys
        ).start()
        self._receivers.append(receiver)
        return receiver

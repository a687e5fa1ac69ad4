"""`AsyncPaymentClient`: the SDK for asyncio services (FastAPI, Starlette, aiohttp), over httpx.

The same routes, results, errors, retries and automatic ``Idempotency-Key`` as
`PaymentClient`: both send the `Call` objects of `routes` and share the encryption, the error
mapping and the retry policy of `connection`; only the HTTP library differs. Needs the
``async`` extra: ``pip install 'payment-service-client[async]'``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, TypedDict, TypeVar
from uuid import UUID

import httpx

from . import routes
from .cipher import Cipher
from .connection import (
    IDEMPOTENCY_HEADER,
    NO_BODY,
    USER_AGENT,
    Timeout,
    check_host,
    check_retries,
    check_status,
    read_answer,
    request_parts,
    retry_delay,
)
from .errors import PaymentError, PaymentSDKError, TransportError, TransportTimeout
from .models import (
    AccountInput,
    Amount,
    PaymentHistory,
    PaymentReservation,
    Performance,
    Schedule,
    SourceInput,
    SystemInfo,
    VendorInput,
    VendorPlugin,
    WebhookCounts,
)
from .routes import Call

if TYPE_CHECKING:
    # typing.Unpack arrived in Python 3.12; only type checkers read it here.
    from typing_extensions import Unpack

T = TypeVar("T")


class AsyncConnectionOptions(TypedDict, total=False):
    """The keyword options of `AsyncPaymentClient`: those of `PaymentClient`, with an
    ``httpx.AsyncClient`` in place of the ``requests.Session``."""

    timeout: Timeout
    client: httpx.AsyncClient | None
    headers: Mapping[str, str] | None
    max_retries: int


def httpx_timeout(timeout: Timeout) -> httpx.Timeout:
    """`PaymentClient`'s timeout (seconds, or ``(connect, read)``) as httpx's."""
    if isinstance(timeout, tuple):
        connect, read = timeout
        return httpx.Timeout(read, connect=connect)
    return httpx.Timeout(timeout)


class AsyncConnection:
    """One server address, key/IV pair and ``httpx.AsyncClient``; `AsyncPaymentClient` owns
    one."""

    def __init__(
        self,
        host: str,
        key: str,
        iv: str,
        *,
        timeout: Timeout = 10.0,
        client: httpx.AsyncClient | None = None,
        headers: Mapping[str, str] | None = None,
        max_retries: int = 2,
    ):
        self.max_retries = check_retries(max_retries)
        self.host = check_host(host)
        self.cipher = Cipher(key, iv)  # raises ValueError on an unusable key or IV
        self.timeout = httpx_timeout(timeout)
        self._owns_client = client is None
        self.client = client if client is not None else httpx.AsyncClient()
        self.headers = {"User-Agent": USER_AGENT, **(headers or {})}

    async def aclose(self) -> None:
        """Close the HTTP client, unless the caller passed in their own."""
        if self._owns_client:
            await self.client.aclose()

    async def run(self, call: Call[T]) -> T:
        """Send one `Call` of `routes`; a write is retried like `Connection.run` retries it."""
        if call.idempotency_key is None:
            response = await self.send(call.method, call.path, status=call.status, body=call.body)
        else:
            response = await self._send_idempotent(call, call.idempotency_key)
        return read_answer(
            self.cipher,
            call.method,
            call.path,
            call.parse,
            response.status_code,
            response.content,
            response.text,
        )

    async def _send_idempotent(self, call: Call[Any], key: str) -> httpx.Response:
        headers = {IDEMPOTENCY_HEADER: key}
        attempt = 0
        while True:
            try:
                return await self.send(
                    call.method, call.path, status=call.status, body=call.body, headers=headers
                )
            except (PaymentError, TransportError) as error:
                delay = retry_delay(attempt, self.max_retries, error)
                if delay is None:
                    raise
                await asyncio.sleep(delay)
                attempt += 1

    async def send(
        self,
        method: str,
        path: str,
        *,
        status: int,
        body: Any = NO_BODY,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send one request and return the response when its status means success; raises
        like `Connection.send`."""
        sent_headers, data = request_parts(self.cipher, self.headers, headers, body)
        try:
            # httpx follows no redirect unless told to: a redirect would resend the
            # (encrypted, password-bearing) body elsewhere.
            response = await self.client.request(
                method,
                self.host + path,
                content=data,
                headers=sent_headers,
                timeout=self.timeout,
                follow_redirects=False,
            )
        except httpx.TimeoutException as error:
            raise TransportTimeout(f"{method} {path}: timed out: {error!r}") from error
        except httpx.RequestError as error:
            raise TransportError(f"{method} {path}: {error!r}") from error
        check_status(method, path, status, response.status_code, response.text, response.headers)
        return response


class AsyncHistories:
    """``client.histories`` of `AsyncPaymentClient`; see `Histories` for each call."""

    def __init__(self, connection: AsyncConnection):
        self._connection = connection

    async def create(
        self,
        *,
        vendor: VendorInput,
        source: SourceInput,
        price: Amount,
        password: str,
        webhook_url: str,
        idempotency_key: str | None = None,
    ) -> PaymentHistory:
        """Register a payment the customer made at the gateway (`Histories.create`)."""
        return await self._connection.run(
            routes.create_history(vendor, source, price, password, webhook_url, idempotency_key)
        )

    async def get(self, *, source: SourceInput, password: str) -> PaymentHistory:
        """Read the payment of `source` (`Histories.get`)."""
        call = routes.by_source(routes.HISTORIES, PaymentHistory.from_dict, source, password)
        return await self._connection.run(call)

    async def at(self, id: str | UUID, *, password: str) -> PaymentHistory:
        """Read a payment by its id (`Histories.at`)."""
        call = routes.by_id(routes.HISTORIES, PaymentHistory.from_dict, id, password)
        return await self._connection.run(call)

    async def cancel(
        self,
        *,
        source: SourceInput,
        password: str,
        price: Amount,
        reason: str,
        account: AccountInput | None = None,
        idempotency_key: str | None = None,
    ) -> PaymentHistory:
        """Refund `price` of the payment of `source` (`Histories.cancel`)."""
        return await self._connection.run(
            routes.cancel_history(source, password, price, reason, account, idempotency_key)
        )


class AsyncReservations:
    """``client.reservations`` of `AsyncPaymentClient`; see `Reservations` for each call."""

    def __init__(self, connection: AsyncConnection):
        self._connection = connection

    async def create(
        self,
        *,
        vendor: VendorInput,
        source: SourceInput,
        title: str,
        password: str,
        idempotency_key: str | None = None,
    ) -> PaymentReservation:
        """Register a card saved at the gateway (`Reservations.create`)."""
        return await self._connection.run(
            routes.create_reservation(vendor, source, title, password, idempotency_key)
        )

    async def get(self, *, source: SourceInput, password: str) -> PaymentReservation:
        """Read the reservation of `source` (`Reservations.get`)."""
        call = routes.by_source(routes.RESERVATIONS, PaymentReservation.from_dict, source, password)
        return await self._connection.run(call)

    async def at(self, id: str | UUID, *, password: str) -> PaymentReservation:
        """Read a reservation by its id (`Reservations.at`)."""
        call = routes.by_id(routes.RESERVATIONS, PaymentReservation.from_dict, id, password)
        return await self._connection.run(call)

    async def charge(
        self,
        id: str | UUID,
        *,
        password: str,
        source: SourceInput,
        price: Amount,
        title: str,
        webhook_url: str,
        idempotency_key: str | None = None,
    ) -> PaymentHistory:
        """Charge the saved card of reservation `id` for the order `source`
        (`Reservations.charge`)."""
        return await self._connection.run(
            routes.charge_reservation(
                id, password, source, price, title, webhook_url, idempotency_key
            )
        )


class AsyncSchedules:
    """``client.schedules`` of `AsyncPaymentClient`; see `Schedules` for each call."""

    def __init__(self, connection: AsyncConnection):
        self._connection = connection

    async def create(
        self,
        reservation_id: str | UUID,
        *,
        password: str,
        price: Amount,
        title: str,
        every: Literal["month", "week", "day"],
        first_at: datetime,
        webhook_url: str,
        retries: Sequence[str] | None = None,
        idempotency_key: str | None = None,
    ) -> Schedule:
        """Charge the reservation's saved card every `every` from `first_at`
        (`Schedules.create`)."""
        return await self._connection.run(
            routes.create_schedule(
                reservation_id,
                password,
                price,
                title,
                every,
                first_at,
                webhook_url,
                retries,
                idempotency_key,
            )
        )

    async def get(self, id: str | UUID, *, password: str) -> Schedule:
        """The schedule and its periods (`Schedules.get`)."""
        call = routes.by_id(routes.SCHEDULES, Schedule.from_dict, id, password)
        return await self._connection.run(call)

    async def cancel(self, id: str | UUID, *, password: str) -> Schedule:
        """Stop the schedule (`Schedules.cancel`); safe to repeat."""
        return await self._connection.run(routes.cancel_schedule(id, password))


class AsyncMonitors:
    """``client.monitors`` of `AsyncPaymentClient`; see `Monitors` for each call."""

    def __init__(self, connection: AsyncConnection):
        self._connection = connection

    async def health(self) -> None:
        """Check that the server is up (``GET /monitors/health``); raises if it is not."""
        await self._connection.send("GET", "/monitors/health", status=200)

    async def is_healthy(self) -> bool:
        """`health` as a boolean, for readiness probes: any failure is False."""
        try:
            await self.health()
        except PaymentSDKError:
            return False
        return True

    async def system(self) -> SystemInfo:
        return await self._connection.run(routes.SYSTEM)

    async def performance(self) -> Performance:
        return await self._connection.run(routes.PERFORMANCE)

    async def plugins(self) -> tuple[VendorPlugin, ...]:
        return await self._connection.run(routes.PLUGINS)

    async def webhooks(self) -> WebhookCounts:
        return await self._connection.run(routes.WEBHOOKS)


class AsyncPaymentClient:
    """A client of one payment server for asyncio code: `PaymentClient`'s arguments and
    calls, each a coroutine.

    ``client`` (an ``httpx.AsyncClient``) takes the place of ``session``; the client then
    leaves closing it to you. Use it as ``async with AsyncPaymentClient(...) as client``, or
    ``await client.aclose()`` when done. One client serves many concurrent calls of one
    event loop.
    """

    def __init__(self, host: str, key: str, iv: str, **options: Unpack[AsyncConnectionOptions]):
        self.connection = AsyncConnection(host, key, iv, **options)
        self.histories = AsyncHistories(self.connection)
        self.reservations = AsyncReservations(self.connection)
        self.schedules = AsyncSchedules(self.connection)
        self.monitors = AsyncMonitors(self.connection)

    @property
    def host(self) -> str:
        return self.connection.host

    async def aclose(self) -> None:
        """Release the HTTP connections (not those of a client passed in by the caller)."""
        await self.connection.aclose()

    async def __aenter__(self) -> AsyncPaymentClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        # Never show the key or IV.
        return f"AsyncPaymentClient({self.host!r})"

"""What the histories and reservations route groups share: both register a record with an
idempotent write and read it back by source or by id, with its password."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar
from uuid import UUID

from .connection import Connection, new_idempotency_key, path_id
from .models import SourceInput, VendorInput, source_input, vendor_input

R = TypeVar("R")


class RecordRoutes(Generic[R]):
    """The routes under `prefix` (e.g. ``/payments/histories``) whose answers `parse` reads."""

    def __init__(self, connection: Connection, prefix: str, parse: Callable[[Any], R]):
        self._connection = connection
        self._prefix = prefix
        self._parse = parse

    def _write(
        self, method: str, path: str, status: int, body: dict[str, Any], key: str | None
    ) -> R:
        """Send a write with an ``Idempotency-Key`` (`key`, or a fresh one), so that the
        connection may retry it safely."""
        return self._connection.call(
            method,
            self._prefix + path,
            self._parse,
            status=status,
            body=body,
            idempotency_key=key or new_idempotency_key(),
        )

    def _register(
        self, vendor: VendorInput, source: SourceInput, key: str | None, **fields: Any
    ) -> R:
        """``POST`` a new record: its vendor and source, then the kind's own `fields`."""
        body = {"vendor": vendor_input(vendor), "source": source_input(source), **fields}
        return self._write("POST", "", 201, body, key)

    def _read(self, path: str, body: dict[str, Any]) -> R:
        return self._connection.call(
            "PATCH", self._prefix + path, self._parse, status=200, body=body
        )

    def _by_source(self, source: SourceInput, password: str) -> R:
        return self._read("/get", {**source_input(source), "password": password})

    def _by_id(self, id: str | UUID, password: str) -> R:
        return self._read(f"/{path_id(id)}", {"password": password})

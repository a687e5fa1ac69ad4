"""The shop's orders and the webhooks it received, kept as JSON files in one directory.

The server runs several worker processes: the page's next request, or payment-service's
webhook, may reach another worker than the one that took the order. Files in one directory are
what they all see. Each file is written whole and then renamed into place, so a reader never
sees half of one; a webhook delivered twice (delivery is at least once) is the same file.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Order:
    id: str
    vendor: str
    amount: int
    name: str
    password: str
    """Protects the payment's record at payment-service (a real shop keeps it with the order)."""


class Inbox:
    def __init__(self, directory: Path):
        self.orders = directory / "orders"
        self.webhooks = directory / "webhooks"
        self.orders.mkdir(parents=True, exist_ok=True)
        self.webhooks.mkdir(parents=True, exist_ok=True)

    def add_order(self, order: Order) -> None:
        _write(self.orders / f"{_id(order.id)}.json", asdict(order))

    def order(self, order_id: str) -> Order | None:
        try:
            path = self.orders / f"{_id(order_id)}.json"
            return Order(**json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, FileNotFoundError):
            return None

    def add_webhook(self, order_id: str, webhook_id: str, summary: dict[str, Any]) -> None:
        """Keep what a webhook about `order_id` said; a repeated delivery replaces itself."""
        folder = self.webhooks / _id(order_id)
        folder.mkdir(exist_ok=True)
        _write(folder / f"{_id(webhook_id)}.json", {"received_at": time.time(), **summary})

    def webhooks_of(self, order_id: str) -> list[dict[str, Any]]:
        """The webhooks received about `order_id`, oldest first."""
        try:
            folder = self.webhooks / _id(order_id)
            kept = [json.loads(path.read_text(encoding="utf-8")) for path in folder.glob("*.json")]
        except (ValueError, FileNotFoundError):
            return []
        return sorted(kept, key=lambda webhook: webhook["received_at"])


def _id(text: str) -> str:
    """`text` as a file name: only a UUID is one (nothing from a URL reaches the file system
    otherwise). ValueError for anything else."""
    return str(uuid.UUID(text))


def _write(path: Path, value: Any) -> None:
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            json.dump(value, file)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise

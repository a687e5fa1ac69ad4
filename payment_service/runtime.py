"""What one running server holds: its settings, database, vendors and webhook outbox.

Plain objects with no Flask in them, so `payments/` and the CLI use them directly; the Flask
app keeps one in `app.extensions["payment_service"]`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .db import Database
from .settings import Settings


@dataclass
class Runtime:
    settings: Settings
    database: Database
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    process_uid: str = field(default_factory=lambda: str(uuid.uuid4()))

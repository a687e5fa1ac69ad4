"""Log lines as text or JSON (`PAYMENT_LOG_FORMAT`), each carrying the current request id.

What a line may hold is decided here: the message, the logger, the level, the request id and
the access fields (`ACCESS_FIELDS`) — never a request or response body. Messages are written
by this code base and name no password, key or card number; database errors are rendered
without their parameters (the engine hides them), so a failed INSERT cannot leak a row.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

from . import request_ids

ACCESS_LOGGER = "payment_service.access"
ACCESS_FIELDS = ("method", "route", "status", "duration_ms", "client")
_HANDLER_MARK = "_payment_service_handler"


class RequestIdFilter(logging.Filter):
    """Stamps every record with the request id current in the thread that logged it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_ids.current()
        return True


_second: tuple[int, str] = (-1, "")


def _timestamp(record: logging.LogRecord) -> str:
    """ISO 8601 UTC with milliseconds; the formatted second is reused (many lines share it)."""
    global _second
    whole = int(record.created)
    cached = _second
    if cached[0] != whole:
        cached = _second = (whole, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)))
    return f"{cached[1]}.{int(record.msecs):03d}Z"


# One encoder for every line: json.dumps with options builds a new one per call.
_encode = json.JSONEncoder(ensure_ascii=False, default=str).encode


class TextFormatter(logging.Formatter):
    """`<time> <LEVEL> <logger> [<request id>] <message> key=value…` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None) or request_ids.current() or "-"
        line = f"{_timestamp(record)} {record.levelname} {record.name} [{request_id}] "
        line += record.getMessage()
        extras = [
            f"{name}={getattr(record, name)}" for name in ACCESS_FIELDS if hasattr(record, name)
        ]
        if extras:
            line += " " + " ".join(extras)
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, access fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_ids.current(),
        }
        for name in ACCESS_FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return _encode(entry)


FORMATTERS: dict[str, type[logging.Formatter]] = {"text": TextFormatter, "json": JsonFormatter}


def configure(log_format: str, level: int = logging.INFO) -> None:
    """Send every log line of this process to stderr in `log_format` (idempotent)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _HANDLER_MARK, False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(FORMATTERS[log_format]())
    handler.addFilter(RequestIdFilter())
    setattr(handler, _HANDLER_MARK, True)
    root.addHandler(handler)
    root.setLevel(level)


def gunicorn_config(log_format: str) -> dict[str, Any]:
    """gunicorn's `logconfig_dict`: its own lines (start, worker boots, errors) go through the
    same handler as ours; its access log is replaced by ours (one line per request, written by
    the app, which knows the route and the request id)."""
    formatter = FORMATTERS[log_format]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"payment": {"()": f"{formatter.__module__}.{formatter.__qualname__}"}},
        "filters": {"request_id": {"()": f"{__name__}.RequestIdFilter"}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "payment",
                "filters": ["request_id"],
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": "INFO", "handlers": ["console"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
        },
    }

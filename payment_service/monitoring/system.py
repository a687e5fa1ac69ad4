"""`ISystem` (spec §2.2 R3): process identity, package metadata and the last git commit.

Git metadata is optional: an installed wheel has none, and that must not break the route.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Collection
from datetime import datetime
from functools import cache
from importlib.metadata import PackageNotFoundError, metadata
from pathlib import Path
from typing import Any

from .redaction import redact_arguments

SOURCE_ROOT = Path(__file__).resolve().parents[2]
_FIELD_SEPARATOR = "\x1f"
_GIT_FORMAT = _FIELD_SEPARATOR.join(
    ["%h", "%H", "%s", "%f", "%b", "%at", "%ct", "%an", "%ae", "%cn", "%ce", "%N"]
)


def system_info(uid: str, started_at: datetime, secrets: Collection[str] = ()) -> dict[str, Any]:
    """`secrets`: configured values to hide wherever they appear in the arguments."""
    return {
        "uid": uid,
        "arguments": redact_arguments(sys.argv, secrets),
        "package": package_info(),
        "commit": commit_info(),
        "created_at": started_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }


@cache
def package_info() -> dict[str, Any]:
    try:
        meta = metadata("payment-service")
    except PackageNotFoundError:
        return {"name": "payment-service", "version": "0.0.0"}
    return {
        "name": meta["Name"],
        "version": meta["Version"],
        "description": meta.get("Summary") or "",
        "license": meta.get("License") or "",
        "homepage": meta.get("Home-page") or "",
        "dependencies": list(meta.get_all("Requires-Dist") or []),
    }


@cache
def commit_info() -> dict[str, Any] | None:
    """The checkout's last commit in the original's shape, or None outside a git checkout."""
    try:
        output = _git("log", "-1", f"--format={_GIT_FORMAT}")
        branch = _git("rev-parse", "--abbrev-ref", "HEAD").strip()
        tags = _git("tag", "--points-at", "HEAD").split()
    except (OSError, subprocess.SubprocessError):
        return None
    parts = output.rstrip("\n").split(_FIELD_SEPARATOR)
    if len(parts) != 12:
        return None
    short, full, subject, sanitized, body, authored, committed, an, ae, cn, ce, notes = parts
    return {
        "shortHash": short,
        "hash": full,
        "subject": subject,
        "sanitizedSubject": sanitized,
        "body": body.strip(),
        "authoredOn": authored,
        "committedOn": committed,
        "author": {"name": an, "email": ae},
        "committer": {"name": cn, "email": ce},
        "notes": notes.strip() or None,
        "branch": branch,
        "tags": tags,
        "authored_at": _local(authored),
        "commited_at": _local(committed),  # sic: the original's spelling
    }


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args],
        cwd=SOURCE_ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=5,
    ).stdout


def _local(epoch: str) -> str:
    return datetime.fromtimestamp(int(epoch)).strftime("%Y-%m-%d %H:%M:%S")

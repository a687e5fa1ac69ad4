"""`ISystem` (docs/payment-api.md §2.2, R3): process identity, package metadata, last git commit.

Git metadata is optional: an installed wheel has none, and that must not break the route.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Collection, Mapping
from datetime import datetime
from functools import cache
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import Any

from .redaction import Assignment, redact_arguments

SOURCE_ROOT = Path(__file__).resolve().parents[2]
_FIELD_SEPARATOR = "\x1f"
# "psycopg[binary] >= 3.1" -> name "psycopg", version ">=3.1" (extras are not npm's business).
_REQUIREMENT = re.compile(
    r"(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*\(?(?P<version>[^)]*)\)?"
)
_TEST_EXTRA = re.compile(r"""extra\s*==\s*["']test["']""")
_GIT_FORMAT = _FIELD_SEPARATOR.join(
    ["%h", "%H", "%s", "%f", "%b", "%at", "%ct", "%an", "%ae", "%cn", "%ce", "%N"]
)


def system_info(
    uid: str,
    started_at: datetime,
    secrets: Collection[str] = (),
    declared: Assignment | None = None,
) -> dict[str, Any]:
    """`secrets`: configured values to hide wherever they appear in the arguments;
    `declared`: how a declared variable's `NAME=value` may be shown."""
    return {
        "uid": uid,
        "arguments": redact_arguments(sys.argv, secrets, declared),
        "package": package_info(),
        "commit": commit_info(),
        "created_at": started_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }


@cache
def package_info() -> dict[str, Any]:
    """The package in the shape of the original's `package.json` (`ISystem.IPackage`): every
    required key is present with its type even when a value is unknown (then empty)."""
    try:
        dist = distribution("payment-service")
    except PackageNotFoundError:
        return _package_shape({"Name": "payment-service", "Version": "0.0.0"}, [], {})
    meta = dist.metadata
    scripts = {ep.name: ep.value for ep in dist.entry_points if ep.group == "console_scripts"}
    return _package_shape(meta, list(meta.get_all("Requires-Dist") or []), scripts)


def _package_shape(
    meta: Mapping[str, Any], requirements: list[str], scripts: dict[str, str]
) -> dict[str, Any]:
    dependencies, dev_dependencies = split_requirements(requirements)
    urls = _project_urls(meta)
    return {
        "name": meta.get("Name") or "payment-service",
        "version": meta.get("Version") or "0.0.0",
        "description": meta.get("Summary") or "",
        "scripts": scripts,
        "repository": {"type": "git", "url": urls.get("source") or _git_remote()},
        "author": meta.get("Author") or meta.get("Author-email") or "",
        "license": meta.get("License") or "",
        "bugs": {"url": urls.get("issues") or urls.get("bug tracker") or ""},
        "homepage": meta.get("Home-page") or urls.get("homepage") or "",
        "devDependencies": dev_dependencies,
        "dependencies": dependencies,
        # npm's entry point and shipped folders, in Python terms: the CLI module and the
        # top-level packages.
        "main": "payment_service.cli",
        "files": ["payment_service", "fake_servers"],
    }


def split_requirements(requirements: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """`Requires-Dist` lines as npm writes dependencies (name -> version range, `*` for any):
    the unconditional ones, and those of the `test` extra (our devDependencies)."""
    runtime: dict[str, str] = {}
    development: dict[str, str] = {}
    for line in requirements:
        requirement, _, marker = line.partition(";")
        match = _REQUIREMENT.match(requirement.strip())
        if match is None:
            continue
        name, version = match["name"], match["version"].replace(" ", "") or "*"
        if not marker.strip():
            runtime[name] = version
        elif _TEST_EXTRA.search(marker):
            development[name] = version
    return runtime, development


def _project_urls(meta: Mapping[str, Any]) -> dict[str, str]:
    getter = getattr(meta, "get_all", None)
    entries = (getter("Project-URL") if getter else None) or []
    return {
        label.strip().lower(): url.strip()
        for label, _, url in (entry.partition(",") for entry in entries)
    }


def _git_remote() -> str:
    try:
        return _git("remote", "get-url", "origin").strip()
    except (OSError, subprocess.SubprocessError):
        return ""


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
        "notes": notes.strip(),  # a string in ISystem.ICommit, empty without notes
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

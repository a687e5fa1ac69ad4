"""Starting the roles as a user does, and reading what they show: Prometheus samples, child
processes, what is left in the temporary directory and the home directory afterwards."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(url: str) -> Samples:
    text = requests.get(url, timeout=10).text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def health_count(samples: Samples) -> float:
    return value(
        samples,
        "payment_http_requests_total",
        method="GET",
        route="/monitors/health",
        status="200",
    )


def eventually(condition: Callable[[], Any], timeout: float = 60) -> Any:
    """The first truthy result of `condition`, polled; AssertionError after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s")
        time.sleep(0.1)


def user_environment(home: Path, **payment: str) -> dict[str, str]:
    """This process's environment without any PAYMENT_* or Prometheus variable, with `payment`
    and a home and temporary directory of their own (to see what the roles leave there)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PAYMENT_")
        and key not in ("PROMETHEUS_MULTIPROC_DIR", "XDG_RUNTIME_DIR")
    }
    env.update(private_dirs(home), **payment)
    return env


def private_dirs(home: Path) -> dict[str, str]:
    """HOME and TMPDIR (made) under `home`, to see what the processes leave there."""
    (home / "tmp").mkdir(parents=True, exist_ok=True)
    return {"HOME": str(home), "TMPDIR": str(home / "tmp")}


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except FileNotFoundError:
        return []
    return [int(child) for child in text.split()]


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except FileNotFoundError:
        return ""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) is gone for our purpose.
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "State:\tZ" in status.read_text())


def left_behind(home: Path) -> list[str]:
    """What the roles left in the temporary directory, and gunicorn's default control socket
    directory in the home directory."""
    found = sorted(path.name for path in (home / "tmp").iterdir())
    if (home / ".gunicorn").exists():
        found.append("~/.gunicorn")
    return found


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`command` with its output (both streams) in `log`: a pipe nobody reads would fill up
    and stop a chatty server."""
    with log.open("wb") as output:
        return subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)


def wait_exit(process: subprocess.Popen[bytes], timeout: float = 30) -> int:
    """The exit status of `process` (killed if it does not exit in time)."""
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise

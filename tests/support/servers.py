"""Starting real server processes in tests: a free port, and waiting until one answers.

One readiness helper for every test (and benchmark) that boots `payment-service serve`, a fake
or the cluster: on a loaded 2-core machine a worker may accept the connection and still take
seconds to answer its first request, so both a refused connection and a timed-out read mean
"not yet", never a failure.
"""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Callable

import requests

POLL_S = 0.1


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _output(process: subprocess.Popen[str] | subprocess.Popen[bytes]) -> str:
    # Only once the process has exited: reading its pipe before would block.
    stream = process.stdout
    if stream is None:
        return ""
    data = stream.read()
    return data if isinstance(data, str) else data.decode(errors="replace")


def wait_until(
    condition: Callable[[], bool], timeout: float = 15.0, interval: float = 0.02
) -> None:
    """Poll `condition` until it holds; TimeoutError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout} s")
        time.sleep(interval)


def wait_answering(
    url: str,
    process: subprocess.Popen[str] | subprocess.Popen[bytes] | None = None,
    *,
    timeout: float = 60.0,
    headers: dict[str, str] | None = None,
) -> requests.Response:
    """The first answer of `url` (any status), once the server behind it answers at all.

    Fails at once if `process` exits meanwhile, with its output in the message."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"server exited early ({process.returncode}): {_output(process)}")
        try:
            return requests.get(url, headers=headers, timeout=5)
        except (requests.ConnectionError, requests.Timeout):
            pass  # not listening yet, or a worker still booting
        time.sleep(POLL_S)
    raise AssertionError(f"{url} did not answer within {timeout} s")


def wait_for_health(
    url: str,
    process: subprocess.Popen[str] | subprocess.Popen[bytes] | None = None,
    timeout: float = 60.0,
) -> None:
    """Wait until the payment server at `url` answers `GET /monitors/health` with 200."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        answer = wait_answering(f"{url}/monitors/health", process, timeout=max(remaining, 0.1))
        if answer.status_code == 200:
            return
        if time.monotonic() >= deadline:
            raise AssertionError(f"{url} stayed unhealthy: {answer.status_code} {answer.text}")
        time.sleep(POLL_S)


def accepting(
    listener: socket.socket, stopped: threading.Event, serve: Callable[[socket.socket], None]
) -> threading.Thread:
    """A daemon thread, not yet started, that accepts connections on `listener` until
    `stopped` is set or the listener is closed, and serves each on a daemon thread of its own."""

    def accept() -> None:
        while not stopped.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(connection,), daemon=True).start()

    return threading.Thread(target=accept, daemon=True)

"""A webhook receiver for the benchmarks that only notes when each webhook arrived.

It answers 200 (at once, or after `delay_s`, as a receiver across a network would), decodes
nothing, and writes one line per request — `<webhook-id> <time.time()>` — to a file of its own,
so a benchmark can count deliveries by id (exactly once?) and measure latencies against its own
clock. It runs in processes of its own (several may share one port through SO_REUSEPORT) so
that it competes with nothing in the benchmark's process, and so that it is not the limit when
many senders deliver to it. The webhook id comes from the
Standard Webhooks `webhook-id` header: benchmarks set `PAYMENT_WEBHOOK_SIGNING_SECRET`.
"""

from __future__ import annotations

import multiprocessing
import os
import socket
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SIGNING_SECRET = "whsec_" + "YmVuY2htYXJrLXNpZ25pbmctc2VjcmV0LTMyYnl0ZXM="


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512

    def server_bind(self) -> None:
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        super().server_bind()


def _serve(port: int, path: str, ready: multiprocessing.Event, delay_s: float) -> None:  # type: ignore[valid-type]
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            arrived = time.time()
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if delay_s:
                time.sleep(delay_s)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            # One write of one line: whole lines even with several threads appending.
            os.write(descriptor, f"{self.headers.get('webhook-id')} {arrived:.6f}\n".encode())

        def log_message(self, *_: object) -> None:
            pass

    server = _Server(("127.0.0.1", port), Handler)
    ready.set()
    server.serve_forever(poll_interval=0.05)


class Arrivals:
    """`processes` receiver processes on one port of 127.0.0.1, writing into `directory`,
    each request answered after `delay_s` (a thread per connection, so any number wait at
    once)."""

    def __init__(self, directory: Path, port: int, processes: int = 1, delay_s: float = 0.0):
        self.directory = directory
        self.delay_s = delay_s
        self.port = port
        self.paths = [directory / f"arrivals-{n}.txt" for n in range(processes)]
        self._processes: list[multiprocessing.Process] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/webhook"

    def __enter__(self) -> Arrivals:
        for path in self.paths:
            ready = multiprocessing.Event()
            process = multiprocessing.Process(
                target=_serve, args=(self.port, str(path), ready, self.delay_s), daemon=True
            )
            process.start()
            self._processes.append(process)
            if not ready.wait(30):
                raise RuntimeError("the receiver did not start")
        return self

    def __exit__(self, *_: object) -> None:
        for process in self._processes:
            process.terminate()
            process.join(5)

    def pids(self) -> list[int]:
        return [process.pid for process in self._processes if process.pid is not None]

    def clear(self) -> None:
        for path in self.paths:
            with path.open("w"):
                pass  # truncated (the receivers append, so they continue at the start)

    def lines(self) -> list[tuple[str, float]]:
        """Every request so far: (webhook id, arrival time)."""
        found = []
        for path in self.paths:
            if path.exists():
                for line in path.read_text().splitlines():
                    webhook_id, _, at = line.partition(" ")
                    if at:
                        found.append((webhook_id, float(at)))
        return found

    def count(self) -> int:
        """Requests so far (cheaply: by the bytes written, all lines being one length)."""
        return sum(path.read_bytes().count(b"\n") for path in self.paths if path.exists())

    def wait_for(self, count: int, timeout: float) -> float:
        """Wait until `count` requests arrived; return the time.time() of the last check."""
        deadline = time.monotonic() + timeout
        while self.count() < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.count()} of {count} webhooks within {timeout} s")
            time.sleep(0.01)
        return time.time()

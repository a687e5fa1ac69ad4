"""Misbehaving peers on real sockets, for the tests and benchmarks of issue #12.

* `GatewayStandIn`: an HTTP reverse proxy in front of a fake gateway that, on demand, passes
  answers through, answers slowly, trickles them one byte at a time (after the gateway has
  acted: the refund happened, the answer is late), hangs, or fails with 500. It counts the
  requests it is handling at once, per kind, to show single flight.
* `TcpProxy`: a TCP proxy in front of a database that forwards, refuses connections (nothing
  listens), or blackholes them (accepts, never answers, stops forwarding existing ones).

Both listen on free ports of 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import requests

from tests.support.servers import accepting

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


def _read_request(conn: socket.socket) -> tuple[str, str, dict[str, str], bytes] | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip()] = value.strip()
    length = int(next((v for k, v in headers.items() if k.lower() == "content-length"), 0))
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        body += chunk
    return method, path, headers, body


def _raw_response(status: int, headers: dict[str, str], body: bytes) -> bytes:
    lines = [f"HTTP/1.1 {status} X"]
    lines += [f"{k}: {v}" for k, v in headers.items() if k.lower() not in HOP_BY_HOP]
    lines += [f"Content-Length: {len(body)}", "Connection: close", "", ""]
    return "\r\n".join(lines).encode("latin-1") + body


class GatewayStandIn:
    """Modes: "pass", "slow" (wait `slow_s`, then pass), "trickle" (forward, then send the
    answer one byte every `trickle_s`), "hang" (never answer, never forward), "fail" (500)."""

    def __init__(
        self, upstream: str | None = None, *, classify: Callable[[str, str], str] | None = None
    ):
        self.upstream = upstream
        self.mode = "pass"
        self.slow_s = 0.5
        self.trickle_s = 1.0
        self.classify = classify or (lambda method, path: f"{method} {path.split('?')[0]}")
        self.active: Counter[tuple[int, str]] = Counter()
        """Requests in progress by (generation, kind): `reset_counts` starts a generation, so
        that a request left over from before (a trickle still dripping) is not counted in the
        next peak."""
        self.peak: Counter[str] = Counter()
        self.seen: Counter[str] = Counter()
        self._generation = 0
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = accepting(self._listener, self._stopped, self._serve)

    def start(self) -> GatewayStandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        _close_listener(self._listener)

    def __enter__(self) -> GatewayStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset_counts(self) -> None:
        with self._lock:
            self.peak.clear()
            self.seen.clear()
            self._generation += 1

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            request = _read_request(conn)
            if request is None:
                return
            method, path, headers, body = request
            kind = self.classify(method, path)
            mode = self.mode
            with self._lock:
                key = (self._generation, kind)
                self.active[key] += 1
                self.seen[kind] += 1
                self.peak[kind] = max(self.peak[kind], self.active[key])
            try:
                self._answer(conn, mode, method, path, headers, body)
            except OSError:
                pass  # the client gave up (its deadline): that is the point
            finally:
                with self._lock:
                    self.active[key] -= 1

    def _answer(
        self,
        conn: socket.socket,
        mode: str,
        method: str,
        path: str,
        headers: dict[str, str],
        body: bytes,
    ) -> None:
        if mode == "hang":
            # Hold the request until the client gives up on it (closes the connection), so that
            # `active` counts the requests a client is still waiting for, not abandoned sockets.
            conn.settimeout(0.05)
            while not self._stopped.is_set():
                try:
                    if not conn.recv(1024):
                        return
                except TimeoutError:
                    continue
            return
        if mode == "fail":
            conn.sendall(
                _raw_response(500, {"Content-Type": "application/json"}, b'{"message":"down"}')
            )
            return
        if mode == "slow":
            time.sleep(self.slow_s)
        raw = self._forward(method, path, headers, body)
        if mode != "trickle":
            conn.sendall(raw)
            return
        for byte in raw:
            if self._stopped.is_set():
                return
            conn.sendall(bytes([byte]))
            time.sleep(self.trickle_s)

    def _forward(self, method: str, path: str, headers: dict[str, str], body: bytes) -> bytes:
        if self.upstream is None:
            return _raw_response(200, {"Content-Type": "application/json"}, b'{"ok": true}')
        sent = {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP}
        answer = requests.request(method, self.upstream + path, headers=sent, data=body, timeout=30)
        return _raw_response(answer.status_code, dict(answer.headers), answer.content)


class TcpProxy:
    """Modes: "forward", "refuse" (the port stops listening, open connections close),
    "blackhole" (new connections are accepted and never answered; existing ones stop moving
    bytes). Going back to "forward"
    drops every connection made before, as a restarted server or a healed network would."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.mode = "forward"
        self._connections: list[socket.socket] = []
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._listener: socket.socket | None = None
        self.port = 0
        self._listen()

    @property
    def address(self) -> tuple[str, int]:
        return "127.0.0.1", self.port

    def _listen(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def set_mode(self, mode: str) -> None:
        previous, self.mode = self.mode, mode
        if mode == "refuse":
            # A stopped server: nothing listens, and open connections are gone.
            if self._listener is not None:
                _close_listener(self._listener)
                self._listener = None
            self._drop_all()
        if mode != "refuse" and self._listener is None:
            self._listen()
        if mode == "forward" and previous != "forward":
            self._drop_all()

    def stop(self) -> None:
        self._stopped.set()
        if self._listener is not None:
            _close_listener(self._listener)
        self._drop_all()

    def _drop_all(self) -> None:
        with self._lock:
            connections, self._connections = self._connections, []
        for sock in connections:
            with contextlib.suppress(OSError):
                sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = listener.accept()
            except OSError:
                return
            with self._lock:
                self._connections.append(client)
            if self.mode == "blackhole":
                continue  # held open, never read, never answered
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._connections.append(server)
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        source.settimeout(0.2)
        while not self._stopped.is_set():
            if self.mode == "blackhole":
                time.sleep(0.05)  # bytes pile up unread: the peer waits forever
                continue
            try:
                chunk = source.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
            if not chunk:
                break
            try:
                sink.sendall(chunk)
            except OSError:
                break
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.close()


def _close_listener(listener: socket.socket) -> None:
    # close() alone leaves the port listening while a thread is blocked in accept().
    with contextlib.suppress(OSError):
        listener.shutdown(socket.SHUT_RDWR)
    listener.close()


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class Prober:
    """Calls `probe` in a loop on its own thread, recording (seconds, outcome) per call."""

    def __init__(self, probe: Callable[[], Any], pause_s: float = 0.02):
        self.probe = probe
        self.pause_s = pause_s
        self.results: list[tuple[float, Any]] = []
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Prober:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopped.set()
        self._thread.join(timeout=60)

    def _run(self) -> None:
        while not self._stopped.is_set():
            started = time.monotonic()
            try:
                outcome = self.probe()
            except Exception as error:
                outcome = error
            self.results.append((time.monotonic() - started, outcome))
            self._stopped.wait(self.pause_s)

    @property
    def durations(self) -> list[float]:
        return [seconds for seconds, _ in self.results]

    @property
    def outcomes(self) -> list[Any]:
        return [outcome for _, outcome in self.results]

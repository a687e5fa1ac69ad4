"""An HTTP proxy that loses answers: it forwards each request to the server, waits for the
server's answer, and then, for the first `drop_first` requests, hangs up instead of relaying it.
That is what a client sees when the network fails after the server has done the work."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class DroppingProxy:
    def __init__(self, target: str, *, drop_first: int, matching: str = "", hold: bool = False):
        """`matching`: only requests whose path contains it are counted (and dropped).
        `hold`: keep the connection of a dropped answer open, silent, until `release` is set
        (a client then waits, as for a gateway that acted and never answered); `dropped` is
        set once an answer was dropped (the server did the work)."""
        self.target = target.rstrip("/")
        self.drop_first = drop_first
        self.matching = matching
        self.hold = hold
        self.dropped = threading.Event()
        self.release = threading.Event()
        self.requests = 0
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                answer = requests.request(
                    self.command,
                    proxy.target + self.path,
                    data=body,
                    headers=headers,
                    timeout=30,
                    allow_redirects=False,
                )
                with proxy._lock:
                    drop = False
                    if proxy.matching in self.path:
                        proxy.requests += 1
                        drop = proxy.requests <= proxy.drop_first
                if drop:
                    # The server did the work; the client never hears about it.
                    proxy.dropped.set()
                    if proxy.hold:
                        proxy.release.wait(timeout=60)
                    self.close_connection = True
                    return
                self.send_response(answer.status_code)
                for name, value in answer.headers.items():
                    if name.lower() not in HOP_BY_HOP:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _forward

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> DroppingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()

"""Per-request overhead of the server, as a ratio against a minimal Flask app, in one run.

Both are served by gunicorn with the same settings (one gthread worker; the baseline with 8
threads) and answer `GET /monitors/health` with one `SELECT 1` on the same database. One
worker each, because with two the rounds were bimodal for both servers: the clients' kept-alive
connections landed all on one worker or spread over both, halving or doubling a round's rate
by chance (a ratio of 0.46 to 1.24 for the same code); the overhead of a request is the same
in one process as in two.

* baseline: a ten-line Flask app with a plain SQLAlchemy engine;
* subject: `payment-service serve`, everything on by default — request ids, the JSON access
  line (written to a file), Prometheus metrics in multiprocess mode, webhook dispatchers.

Clients are separate processes holding keep-alive connections on 127.0.0.1 and sending one
request at a time each, for a fixed time; the two servers are measured one after the other in
each round (which one first alternates), and the verdict is on the median of the rounds'
ratios: a virtual machine's speed drifts by tens of per cent within a minute, and a ratio of
two measurements seconds apart drifts much less than either. Target: subject >= 0.8 x
baseline. The servers' CPU time per request (from /proc) is printed as well.

    .venv/bin/python benchmarks/health.py [--seconds 3] [--rounds 6] [--database-url URL]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.cpu import tree_cpu_seconds  # noqa: E402
from tests.support.servers import free_port, wait_for_health  # noqa: E402

BIN = Path(sys.executable).parent
TARGET = 0.8
WORKERS = 1
THREADS = 8
CLIENT_PROCESSES = 2
CONNECTIONS_PER_PROCESS = 4

BASELINE_APP = """
from flask import Flask
from sqlalchemy import create_engine, text

engine = create_engine({url!r})
app = Flask(__name__)


@app.get("/monitors/health")
def health():
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    return ""
"""

REQUEST = b"GET /monitors/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def _read_response(sock: socket.socket, pending: bytes) -> bytes:
    """Read one HTTP response (headers + Content-Length body); return what follows it."""
    while b"\r\n\r\n" not in pending:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        pending += chunk
    head, _, rest = pending.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(head.split(b"\r\n")[0].decode())
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(rest) < length:
        rest += sock.recv(65536)
    return rest[length:]


def _client(port: int, seconds: float, start_at: float, results: multiprocessing.Queue) -> None:
    """One process: CONNECTIONS_PER_PROCESS keep-alive connections, round-robin, one request
    in flight on each (non-blocking sends, then reads in order)."""
    sockets = [
        socket.create_connection(("127.0.0.1", port)) for _ in range(CONNECTIONS_PER_PROCESS)
    ]
    pending = [b""] * len(sockets)
    while time.time() < start_at:
        time.sleep(0.001)
    done = 0
    deadline = time.monotonic() + seconds
    for sock in sockets:
        sock.sendall(REQUEST)
    while time.monotonic() < deadline:
        for index, sock in enumerate(sockets):
            try:
                pending[index] = _read_response(sock, pending[index])
            except ConnectionError:  # the server closed a keep-alive connection: reopen
                sock.close()
                sock = sockets[index] = socket.create_connection(("127.0.0.1", port))
                pending[index] = b""
            else:
                done += 1
            sock.sendall(REQUEST)
    for sock in sockets:
        sock.close()
    results.put(done)


def cpu_seconds(master: int) -> float:
    """CPU time used so far by a server process and all its descendants (gunicorn's master
    and workers; with `serve`, also its sender and housekeeper)."""
    return tree_cpu_seconds(master)


def measure(port: int, master: int, seconds: float) -> tuple[float, float]:
    """(requests per second, server CPU microseconds per request) over one round."""
    before = cpu_seconds(master)
    rate = throughput(port, seconds)
    used = cpu_seconds(master) - before
    return rate, used / (rate * seconds) * 1e6


def throughput(port: int, seconds: float) -> float:
    results: multiprocessing.Queue = multiprocessing.Queue()
    start_at = time.time() + 0.5
    clients = [
        multiprocessing.Process(target=_client, args=(port, seconds, start_at, results))
        for _ in range(CLIENT_PROCESSES)
    ]
    for client in clients:
        client.start()
    total = sum(results.get(timeout=seconds + 60) for _ in clients)
    for client in clients:
        client.join()
    return total / seconds


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        return subprocess.Popen(
            command, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0, help="per round and server")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/health.sqlite3"
        env = {
            **os.environ,
            "PAYMENT_DATABASE_URL": url,
            "PAYMENT_LOAD_PLUGINS": "false",
            "PAYMENT_METRICS": "on",
            "PAYMENT_LOG_FORMAT": "json",
        }
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        Path(tmp, "baseline.py").write_text(textwrap.dedent(BASELINE_APP.format(url=url)))
        ours, theirs = free_port(), free_port()
        subject = start(
            [str(BIN / "payment-service"), "serve", "--port", str(ours), "--workers", str(WORKERS)],
            env,
            Path(tmp, "subject.log"),
        )
        baseline = start(
            [
                *(str(BIN / "gunicorn"), "--chdir", tmp, "baseline:app"),
                *("--bind", f"127.0.0.1:{theirs}", "--workers", str(WORKERS)),
                *("--worker-class", "gthread", "--threads", str(THREADS), "--timeout", "60"),
            ],
            env,
            Path(tmp, "baseline.log"),
        )
        try:
            wait_for_health(f"http://127.0.0.1:{ours}", subject)
            wait_for_health(f"http://127.0.0.1:{theirs}", baseline)
            throughput(ours, 1.0)  # warm up both
            throughput(theirs, 1.0)
            figures: dict[str, list[float]] = {"baseline": [], "subject": []}
            costs: dict[str, list[float]] = {"baseline": [], "subject": []}
            servers = [("baseline", theirs, baseline), ("subject", ours, subject)]
            for number in range(args.rounds):
                for name, port, process in servers if number % 2 == 0 else servers[::-1]:
                    rate, cost = measure(port, process.pid, args.seconds)
                    figures[name].append(rate)
                    costs[name].append(cost)
                print(
                    f"round {number + 1}: minimal Flask {figures['baseline'][-1]:6.0f} req/s "
                    f"({costs['baseline'][-1]:5.0f} µs CPU/req), payment-service "
                    f"{figures['subject'][-1]:6.0f} req/s ({costs['subject'][-1]:5.0f} µs CPU/req)"
                )
            log_text = Path(tmp, "subject.log").read_text()
            access_lines = log_text.count('"logger": "payment_service.access"')
        finally:
            stop(subject)
            stop(baseline)
    base, ours_rate = statistics.median(figures["baseline"]), statistics.median(figures["subject"])
    ratio = statistics.median(
        subject / baseline
        for subject, baseline in zip(figures["subject"], figures["baseline"], strict=True)
    )
    cost_ratio = statistics.median(
        baseline / subject
        for subject, baseline in zip(costs["subject"], costs["baseline"], strict=True)
    )
    print(f"median: minimal Flask {base:.0f} req/s, payment-service {ours_rate:.0f} req/s")
    print(f"access lines written by payment-service: {access_lines}")
    print(
        f"server CPU per request, minimal Flask / payment-service: {cost_ratio:.2f} "
        "(steadier than throughput on a loaded machine)"
    )
    verdict = "ok" if ratio >= TARGET else "UNDER TARGET"
    print(
        f"ratio payment-service / minimal Flask, median of the rounds' ratios: {ratio:.2f}  "
        f"(target >= {TARGET}: {verdict})"
    )
    return 0 if ratio >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())

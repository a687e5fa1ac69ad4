"""The production topology on one machine, started and stopped as one (`make cluster`): the
same roles as `serve`, each a process of its own.

    nginx 127.0.0.1:8080 ──► payment-service serve --api-only :37821 ─┐
                        └──► payment-service serve --api-only :37822 ─┤
    payment-service webhooks deliver (the one sender, metrics :9101) ─┼─► PostgreSQL
    payment-service housekeeper (the periodic jobs, metrics :9102) ───┘   (PAYMENT_DATABASE_URL)
    payment-service fakes: each installed plugin's fake on its port (their webhooks go to :8080)

Run it with the Python of a venv where the wheels are installed (`make cluster` builds one):

    .cluster/venv/bin/python deploy/cluster.py           # until SIGINT / SIGTERM
    python deploy/cluster.py --check                     # only check the prerequisites

Ports come from CLUSTER_NGINX_PORT, CLUSTER_SERVE_PORTS (comma-separated: one instance each),
CLUSTER_SENDER_METRICS_PORT, CLUSTER_HOUSEKEEPER_METRICS_PORT and CLUSTER_<FAKE>_PORT for each
installed fake (CLUSTER_IAMPORT_PORT, CLUSTER_TOSS_PORT, CLUSTER_PORTONE_PORT, ...; default:
the fake's own port). With CLUSTER_STATE=path, the processes' ids and ports are written there
as JSON once everything answers. Every other PAYMENT_* variable is passed to the processes
unchanged; PAYMENT_TRUSTED_PROXIES defaults to nginx's address (127.0.0.1/32), so that the
instances tell clients apart.

A role that cannot start (a port taken, a bad setting) stops the whole cluster at once, with a
non-zero exit naming it. Once running, a process that dies is reported, not restarted (nginx
routes around a dead instance); nginx dying stops the whole cluster.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from payment_service.roles.fakes import vendor_options
from payment_service.vendors.fakes import contributed_fakes

NGINX_CONF = Path(__file__).resolve().parent / "nginx" / "payment-service.conf"
START_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 20.0


class ClusterError(Exception):
    """The cluster cannot start; the message says why and what to do."""


@dataclass(frozen=True)
class Ports:
    nginx: int = 8080
    serve: tuple[int, ...] = (37821, 37822)
    fakes: Mapping[str, int] = field(default_factory=dict)  # by fake name
    sender_metrics: int = 9101
    housekeeper_metrics: int = 9102

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str], fake_defaults: Mapping[str, int] | None = None
    ) -> Ports:
        """The ports named in `environ`; a fake's defaults to its own (`fake_defaults`, by
        default those of the installed plugins' fakes)."""
        if fake_defaults is None:
            fake_defaults = {kind.name: kind.default_port for kind in contributed_fakes()}

        def number(name: str, raw: str) -> int:
            if not raw.strip().isdigit() or not 0 < int(raw) < 65536:
                raise ClusterError(f"{name}: not a port number ({raw!r})")
            return int(raw)

        def port(name: str, default: int) -> int:
            return number(name, environ.get(name) or str(default))

        serve = environ.get("CLUSTER_SERVE_PORTS") or ",".join(map(str, cls.serve))
        return cls(
            nginx=port("CLUSTER_NGINX_PORT", cls.nginx),
            serve=tuple(number("CLUSTER_SERVE_PORTS", part) for part in serve.split(",")),
            fakes={
                name: port(f"CLUSTER_{name.upper()}_PORT", default)
                for name, default in fake_defaults.items()
            },
            sender_metrics=port("CLUSTER_SENDER_METRICS_PORT", cls.sender_metrics),
            housekeeper_metrics=port("CLUSTER_HOUSEKEEPER_METRICS_PORT", cls.housekeeper_metrics),
        )


def check(environ: Mapping[str, str]) -> str:
    """The nginx binary to run, once PostgreSQL is configured; ClusterError otherwise."""
    url = environ.get("PAYMENT_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        scheme = url.split(":", 1)[0] if url else "nothing (default: SQLite)"
        raise ClusterError(
            "the cluster needs PostgreSQL: set PAYMENT_DATABASE_URL=postgresql+psycopg://"
            "user:password@host:5432/database (several processes share one database; SQLite "
            f"serves one process only). Got {scheme}."
        )
    search = os.pathsep.join([environ.get("PATH", ""), "/usr/sbin", "/sbin"])
    nginx = shutil.which("nginx", path=search)
    if nginx is None:
        raise ClusterError("nginx not found: install it (Debian: apt-get install nginx)")
    return nginx


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM if the cluster process itself dies (Linux), so a
    killed orchestrator leaves nothing behind."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


def _health(url: str) -> Callable[[], bool]:
    return lambda: _answers(url)


# Where nginx connects to the instances from (all on this machine).
NGINX_ADDRESS = "127.0.0.1/32"


@dataclass
class Cluster:
    bin_dir: Path
    ports: Ports
    environ: Mapping[str, str]
    nginx_binary: str = "nginx"
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    _runtime: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports.nginx}"

    def _env(self, **extra: str) -> dict[str, str]:
        return {**self.environ, **extra}

    def roles_env(self, vendors: str) -> dict[str, str]:
        """What the instances, the sender and the housekeeper run with."""
        # Every request reaches the instances through nginx, from 127.0.0.1: trusting that
        # address makes X-Forwarded-For (the client nginx saw) the client's address, so the
        # password throttle tells clients apart instead of counting everyone as nginx.
        proxies = self.environ.get("PAYMENT_TRUSTED_PROXIES") or NGINX_ADDRESS
        return self._env(PAYMENT_VENDORS=vendors, PAYMENT_TRUSTED_PROXIES=proxies)

    def _start(self, name: str, command: list[str], env: Mapping[str, str]) -> None:
        # Each in its own session: a Ctrl-C reaches only this orchestrator, which then stops
        # everything in order; and one instance can be killed as a whole (master and workers).
        self.processes[name] = subprocess.Popen(
            command, env=dict(env), start_new_session=True, preexec_fn=_die_with_parent
        )

    def _wait(self, ready: Mapping[str, Callable[[], bool]]) -> None:
        """Until every named process is ready; ClusterError naming the first process (of any
        started so far) that exits meanwhile, or those not ready in time."""
        waiting = dict(ready)
        deadline = time.monotonic() + START_TIMEOUT_S
        while waiting:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise ClusterError(
                        f"{name} exited with status {process.returncode} while starting "
                        "(see its output above)"
                    )
            waiting = {name: check for name, check in waiting.items() if not check()}
            if waiting and time.monotonic() > deadline:
                names = ", ".join(waiting)
                raise ClusterError(f"{names} did not get ready within {START_TIMEOUT_S:.0f} s")
            if waiting:
                time.sleep(0.2)

    def start(self) -> Cluster:
        try:
            self._start_all()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_all(self) -> None:
        command = str(self.bin_dir / "payment-service")
        # The fakes first: they need no database, and a taken port is the likeliest failure.
        fakes = ["fakes", "--webhook-base", self.url]
        for name, port in self.ports.fakes.items():
            fakes += [f"--{name}-port", str(port)]
        self._start("fakes", [command, *fakes], self._env())
        self._wait({"fakes": lambda: all(map(_listening, self.ports.fakes.values()))})
        # Migrate once, before any instance starts (instances then find the schema at head).
        if subprocess.run([command, "schema"], env=self._env()).returncode != 0:
            raise ClusterError("`payment-service schema` failed (see above)")

        vendors = json.dumps(self._vendor_options())
        roles = self.roles_env(vendors)
        ready: dict[str, Callable[[], bool]] = {}
        for port in self.ports.serve:
            serve = [command, "serve", "--api-only", "--host", "127.0.0.1", "--port", str(port)]
            self._start(f"serve:{port}", serve, roles)
            ready[f"serve:{port}"] = _health(f"http://127.0.0.1:{port}/monitors/health")
        # The one process that sends webhooks to the services, and the one that runs the
        # periodic jobs (settling refunds, purging expired rows); each serves its metrics.
        for name, arguments, port in (
            ("sender", ["webhooks", "deliver"], self.ports.sender_metrics),
            ("housekeeper", ["housekeeper"], self.ports.housekeeper_metrics),
        ):
            self._start(name, [command, *arguments, "--metrics-port", str(port)], roles)
            ready[name] = _health(f"http://127.0.0.1:{port}/metrics")
        self._wait(ready)

        self._runtime = Path(tempfile.mkdtemp(prefix="payment-cluster-nginx-"))
        self._runtime.chmod(0o755)  # nginx workers may run as another user (nobody)
        config = self._nginx_config(self._runtime)
        nginx = [self.nginx_binary, "-p", f"{self._runtime}/", "-c", str(config), "-e", "stderr"]
        self._start("nginx", nginx, self._env())
        self._wait({"nginx": _health(f"{self.url}/monitors/health")})

    def _vendor_options(self) -> dict[str, object]:
        ports = self.ports.fakes
        return vendor_options({name: f"http://127.0.0.1:{port}" for name, port in ports.items()})

    def _nginx_config(self, runtime: Path) -> Path:
        servers = "\n    ".join(
            f"server 127.0.0.1:{port} max_fails=1 fail_timeout=10s;" for port in self.ports.serve
        )
        site = NGINX_CONF.read_text(encoding="utf-8")
        site = site.replace("{{LISTEN}}", f"127.0.0.1:{self.ports.nginx}")
        site = site.replace("{{SERVERS}}", servers)
        (runtime / "payment-service.conf").write_text(site, encoding="utf-8")
        temp_paths = "\n".join(
            f"    {kind}_temp_path {runtime / kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        main = f"""# Generated by deploy/cluster.py: a private nginx, not the system's.
daemon off;
worker_processes 1;
pid {runtime / "nginx.pid"};
error_log stderr warn;
events {{
    worker_connections 1024;
}}
http {{
    access_log off;  # every instance logs its requests
{temp_paths}
    include {runtime / "payment-service.conf"};
}}
"""
        config = runtime / "nginx.conf"
        config.write_text(main, encoding="utf-8")
        return config

    def state(self) -> dict[str, object]:
        return {
            "url": self.url,
            "processes": {
                name: {"pid": process.pid, "running": process.poll() is None}
                for name, process in self.processes.items()
            },
            "ports": {
                "nginx": self.ports.nginx,
                "serve": list(self.ports.serve),
                "sender_metrics": self.ports.sender_metrics,
                "housekeeper_metrics": self.ports.housekeeper_metrics,
                **self.ports.fakes,
            },
        }

    def run_until(self, stopped: threading.Event) -> int:
        """Watch the processes until `stopped`; 1 if nginx died, else 0."""
        reported: set[str] = set()
        while not stopped.wait(0.5):
            for name, process in self.processes.items():
                if name not in reported and process.poll() is not None:
                    reported.add(name)
                    say(f"{name} exited with status {process.returncode}")
                    if name == "nginx":
                        return 1
        return 0

    def stop(self) -> None:
        """nginx first (no new requests), then the instances, the sender and the fakes."""
        for name in sorted(self.processes, key=lambda name: name != "nginx"):
            if self.processes[name].poll() is None:
                self.processes[name].send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for name, process in self.processes.items():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                say(f"{name} did not stop in time: killed")
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)  # whatever is left of its group
            process.wait()
        if self._runtime is not None:
            shutil.rmtree(self._runtime, ignore_errors=True)
            self._runtime = None


def say(message: str) -> None:
    print(f"payment-cluster: {message}", file=sys.stderr, flush=True)


def main(argv: list[str]) -> int:
    environ = dict(os.environ)
    try:
        nginx = check(environ)
        ports = Ports.from_env(environ)
    except ClusterError as error:
        say(str(error))
        return 2
    if argv[1:] == ["--check"]:
        return 0
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    cluster = Cluster(Path(sys.executable).parent, ports, environ, nginx_binary=nginx)
    try:
        cluster.start()
    except ClusterError as error:
        say(str(error))
        return 1
    try:
        if environ.get("CLUSTER_STATE"):
            Path(environ["CLUSTER_STATE"]).write_text(json.dumps(cluster.state()))
        say(
            f"ready: {cluster.url} → instances on {', '.join(map(str, ports.serve))}, one "
            "webhook sender, one housekeeper, fakes "
            + ", ".join(f"{name} :{port}" for name, port in ports.fakes.items())
            + ". "
            "Ctrl-C stops everything."
        )
        status = cluster.run_until(stopped)
    finally:
        cluster.stop()
    say("stopped")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))

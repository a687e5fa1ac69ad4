"""The scripts of examples/, run as docs/integrator.md says (the Python of the venv, against
`payment-service serve --with-fakes`, the server `make run` starts), print what the docs show;
and the docs' reconciliation against the fakes works as written. The server and the fakes run
on free ports (the scripts' `--api`/`--<fake>` options), in a working directory of their own."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.servers import free_port, wait_for_health

ROOT = Path(__file__).resolve().parents[2]
INTEGRATOR = ROOT / "docs" / "integrator.md"
OPERATING = ROOT / "docs" / "operating.md"
FAKES = ("iamport", "toss", "portone")
EXAMPLES = {
    "toss_card.py": ("toss",),
    "iamport_card.py": ("iamport",),
    "virtual_account.py": ("toss",),
    "billing_key.py": ("toss",),
    "portone_v2.py": ("portone",),
}
DEFAULT_PORTS = {"api": 37821, "iamport": 10851, "toss": 30771, "portone": 20851}


@dataclass(frozen=True)
class Served:
    ports: dict[str, int]
    workdir: Path
    env: dict[str, str]

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`serve --with-fakes` as `make run` starts it: its SQLite file in its working directory."""
    workdir = tmp_path_factory.mktemp("make-run")
    ports = {name: free_port() for name in DEFAULT_PORTS}
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYMENT_")}
    command = [sys.executable, "-m", "payment_service.cli", "serve", "--with-fakes"]
    command += ["--port", str(ports["api"])]
    for fake in FAKES:
        command += [f"--{fake}-port", str(ports[fake])]
    server = subprocess.Popen(
        command,
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        wait_for_health(f"http://127.0.0.1:{ports['api']}", server)
        yield Served(ports, workdir, env)
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert server.returncode == 0, output


def documented_output(script: str) -> list[str]:
    text = INTEGRATOR.read_text(encoding="utf-8")
    after = text.split(f"<!-- output: examples/{script} -->", 1)
    assert len(after) == 2, f"docs/integrator.md shows no output of examples/{script}"
    match = re.match(r"\s*```text\n(.*?)```", after[1], re.DOTALL)
    assert match, f"the output of examples/{script} is not a text block"
    return match.group(1).splitlines()


def normalized(lines: list[str]) -> list[str]:
    """What stays the same from run to run: ids, times and account numbers differ."""
    patterns = [
        (r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<uuid>"),
        (r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?(\+00:00|Z)?", "<time>"),
        (r"\b\d{10,14}\b", "<number>"),
    ]
    result = []
    for line in lines:
        for pattern, placeholder in patterns:
            line = re.sub(pattern, placeholder, line)
        result.append(line)
    return result


@pytest.mark.parametrize("script", list(EXAMPLES))
def test_each_example_prints_what_the_docs_show(served: Served, script: str):
    options = ["--api", served.url("api")]
    for fake in EXAMPLES[script]:
        options += [f"--{fake}", served.url(fake)]
    # `.venv/bin/python examples/…` from the checkout: this venv's Python.
    result = subprocess.run(
        [sys.executable, f"examples/{script}", *options],
        cwd=ROOT,
        env=served.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    printed = result.stdout.splitlines()
    assert normalized(printed) == normalized(documented_output(script))


def test_every_example_is_documented_and_tested():
    scripts = {path.name for path in (ROOT / "examples").glob("*.py")} - {"common.py"}
    assert scripts == set(EXAMPLES)
    for script in scripts:
        assert f"`examples/{script}`" in INTEGRATOR.read_text(encoding="utf-8")


def reconciliation_commands() -> list[str]:
    text = OPERATING.read_text(encoding="utf-8")
    after = text.split("<!-- tested: tests/integrator/test_examples.py -->", 1)[1]
    match = re.search(r"```sh\n(.*?)```", after, re.DOTALL)
    assert match, "docs/operating.md lost its reconciliation against the fakes"
    return match.group(1).splitlines()


def test_reconcile_against_the_fakes_works_as_documented(served: Served):
    """The commands of docs/operating.md, in the server's working directory (where `make run`
    keeps its SQLite file), with the test's ports for the documented ones."""
    example = ["examples/toss_card.py", "--api", served.url("api"), "--toss", served.url("toss")]
    subprocess.run(
        [sys.executable, *example],
        cwd=ROOT,
        env=served.env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    script = []
    for line in reconciliation_commands():
        line = line.replace(
            ".venv/bin/payment-service", str(Path(sys.executable).parent / "payment-service")
        )
        line = line.replace(
            f"127.0.0.1:{DEFAULT_PORTS['toss']}", f"127.0.0.1:{served.ports['toss']}"
        )
        script.append(f'{line}\necho "::exit $?"')
    done = subprocess.run(
        ["bash", "-c", "\n".join(script)],
        cwd=served.workdir,
        env=served.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    parts = re.split(r"::exit (\d+)\n", done.stdout)
    outputs, statuses = parts[0:-1:2], [int(status) for status in parts[1::2]]
    commands = reconciliation_commands()
    assert len(statuses) == len(commands), done.stdout + done.stderr
    reconciles = [i for i, command in enumerate(commands) if " reconcile " in command]
    assert [statuses[i] for i in reconciles] == [0, 1, 1, 0], done.stdout + done.stderr
    assert all(statuses[i] == 0 for i in range(len(commands)) if i not in reconciles)
    first, found, cancelled, last = (outputs[i] for i in reconciles)
    assert "Nothing to reconcile." in first and "Nothing to reconcile." in last
    assert "Orphans: paid at the gateway, no record here (1)" in found
    orphan = re.search(r"^(\S+)\s+15000\s+\S+Z$", found, re.MULTILINE)
    assert orphan, found
    assert f"Cancelled at the gateway: {orphan.group(1)}" in cancelled

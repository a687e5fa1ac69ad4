"""The README's walk-through, run as written against `payment-service serve --with-fakes`
(the server `make run` starts), in a subprocess, with the fakes on their fixed ports."""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from payment_service.cli import port_problem
from tests.cli.test_cli import free_port, wait_for_health

README = Path(__file__).resolve().parents[2] / "README.md"
MARKER = "<!-- tested: tests/integrator/test_readme_walkthrough.py -->"


def walkthrough() -> str:
    after = README.read_text(encoding="utf-8").split(MARKER, 1)[1]
    match = re.search(r"```python\n(.*?)```", after, re.DOTALL)
    assert match, "the README's walk-through is missing"
    return match.group(1)


def test_the_readme_walkthrough_runs_against_serve_with_fakes(tmp_path):
    for port in (10851, 30771, 20851):
        if port_problem("127.0.0.1", port):
            pytest.skip(f"port {port} of the fake gateways is taken (is `make run` running?)")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYMENT_")}
    env["PAYMENT_DATABASE_URL"] = f"sqlite:///{tmp_path / 'walkthrough.sqlite3'}"
    command = [sys.executable, "-m", "payment_service.cli", "serve", "--with-fakes"]
    server = subprocess.Popen(
        [*command, "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        wait_for_health(f"http://127.0.0.1:{port}", server)
        code = walkthrough().replace("127.0.0.1:37821", f"127.0.0.1:{port}")
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(code, "README walk-through", "exec"), {"__name__": "walkthrough"})
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    lines = printed.getvalue().splitlines()
    assert lines[0].startswith("paid at 20") and lines[0].endswith("status at Toss: DONE")
    assert lines[1] == "refunded 5000 of 20000"
    assert lines[2].startswith("webhook ") and lines[2].endswith("refund before: None")
    assert server.returncode == 0, output
    # The fakes stopped with the server.
    assert port_problem("127.0.0.1", 10851) is None
    assert port_problem("127.0.0.1", 30771) is None
    assert port_problem("127.0.0.1", 20851) is None

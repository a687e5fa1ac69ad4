"""The README's walk-through, run as written against `payment-service serve --with-fakes`
(the server `make run` starts), in a subprocess; the fakes on free ports instead of their fixed
ones, so that a running `make run` or a concurrent test run does not collide."""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
from pathlib import Path

from payment_service.commandline import port_problem
from tests.support.servers import free_port, wait_for_health

README = Path(__file__).resolve().parents[2] / "README.md"
MARKER = "<!-- tested: tests/integrator/test_readme_walkthrough.py -->"


def walkthrough() -> str:
    after = README.read_text(encoding="utf-8").split(MARKER, 1)[1]
    match = re.search(r"```python\n(.*?)```", after, re.DOTALL)
    assert match, "the README's walk-through is missing"
    return match.group(1)


def test_the_readme_walkthrough_runs_against_serve_with_fakes(tmp_path):
    port, iamport_port, toss_port = free_port(), free_port(), free_port()
    portone_port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYMENT_")}
    env["PAYMENT_DATABASE_URL"] = f"sqlite:///{tmp_path / 'walkthrough.sqlite3'}"
    command = [sys.executable, "-m", "payment_service.cli", "serve", "--with-fakes"]
    command += ["--iamport-port", str(iamport_port), "--toss-port", str(toss_port)]
    command += ["--portone-port", str(portone_port)]
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
        code = code.replace("127.0.0.1:30771", f"127.0.0.1:{toss_port}")
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
    assert port_problem("127.0.0.1", iamport_port) is None
    assert port_problem("127.0.0.1", toss_port) is None
    assert port_problem("127.0.0.1", portone_port) is None

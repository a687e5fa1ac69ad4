"""Running `payment-service` commands in this process, through click's test runner.

A command's own code runs exactly as from the shell; only Python's start and the imports are
saved, which is most of what a subprocess costs (a second or two on a loaded machine). Tests
that are about the process itself (signals, the entry point, what reaches stdout) still run
a subprocess.
"""

from __future__ import annotations

import contextlib
import json
import os
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from payment_service import cli


@dataclass
class Result:
    status: int
    stdout: str
    stderr: str

    @property
    def report(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.stdout)
        return parsed


def run_cli(*args: str, env: dict[str, str], cwd: Path | None = None) -> Result:
    """`payment-service ARGS` with the `PAYMENT_*` environment `env` alone (any other
    `PAYMENT_*` variable of this process is hidden), in `cwd` (a directory without `.env`)."""
    environ: dict[str, str | None] = {k: None for k in os.environ if k.startswith("PAYMENT_")}
    environ.update(env)
    with contextlib.chdir(cwd) if cwd is not None else contextlib.nullcontext():
        done = CliRunner().invoke(cli.main, list(args), env=environ)
    stderr = done.stderr
    if done.exception is not None and not isinstance(done.exception, SystemExit):
        # What a subprocess would have printed for an unexpected error.
        stderr += "".join(traceback.format_exception(done.exception))
    return Result(done.exit_code, done.stdout, stderr)

"""The fakes stand apart from the server: of `payment_service` they load only the module of the
original's wire conventions, so a fake cannot come to depend on the server's behaviour."""

from __future__ import annotations

import subprocess
import sys


def test_the_fakes_load_only_the_wire_conventions_of_the_server() -> None:
    code = (
        "import sys, fake_servers.iamport, fake_servers.toss, fake_servers.portone;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'payment_service'))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert output.strip() == str(
        ["payment_service", "payment_service.wire", "payment_service.wire.web"]
    )

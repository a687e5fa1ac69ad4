"""Tests do not sleep to let time pass: they advance a clock (`PaymentBackend.clock`, a fake's
`clock`) or poll with `tests.support.servers.wait_until`. A sleep in a test module is allowed
only where a real-time peer is the point, marked `realtime` (on the test or the module), which
runs those tests in one xdist group. Helpers outside test modules (slow peers, stubs, the
polling helpers) may sleep: they are the real-time peers."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def _is_sleep(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "sleep"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "time"
    )


def _marks_realtime(expressions: list[ast.expr]) -> bool:
    return any("mark.realtime" in ast.unparse(expression) for expression in expressions)


def _module_is_realtime(tree: ast.Module) -> bool:
    return any(
        isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets)
        and _marks_realtime([node.value])
        for node in tree.body
    )


def unmarked_sleeps() -> list[str]:
    found = []
    for path in sorted(TESTS.rglob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if _module_is_realtime(tree):
            continue
        for top in tree.body:
            marked = isinstance(top, ast.FunctionDef) and _marks_realtime(top.decorator_list)
            if marked:
                continue
            for node in ast.walk(top):
                if _is_sleep(node):
                    found.append(f"{path.relative_to(TESTS.parent)}:{node.lineno}")
    return found


def test_no_test_sleeps_unless_a_real_time_peer_is_the_point():
    assert unmarked_sleeps() == []


def test_the_check_sees_a_sleep(tmp_path, monkeypatch):
    module = tmp_path / "tests" / "test_sleepy.py"
    module.parent.mkdir()
    module.write_text("import time\n\ndef test_waits():\n    time.sleep(1)\n")
    monkeypatch.setattr(f"{__name__}.TESTS", module.parent)
    assert unmarked_sleeps() == ["tests/test_sleepy.py:4"]
    module.write_text(
        "import time\nimport pytest\n\n@pytest.mark.realtime\ndef test_waits():\n"
        "    time.sleep(1)\n"
    )
    assert unmarked_sleeps() == []

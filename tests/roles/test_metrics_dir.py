"""Where the processes of one API instance write their metrics: the operator's directory,
emptied of an earlier run's files, or a private one that only its maker removes."""

from __future__ import annotations

import os
from pathlib import Path

from payment_service.observability import multiprocess


def test_the_operators_directory_is_emptied_of_earlier_files_and_kept(tmp_path: Path):
    given = tmp_path / "metrics"
    given.mkdir()
    (given / "counter_999999.db").write_bytes(b"left by an earlier run")
    (given / "notes.txt").write_text("not ours")
    environ = {"PROMETHEUS_MULTIPROC_DIR": str(given)}
    prepared = multiprocess.prepare(environ)
    assert (prepared.path, prepared.owned) == (str(given), False)
    assert sorted(p.name for p in given.iterdir()) == ["notes.txt"]
    prepared.release()
    assert given.exists()


def test_a_private_directory_is_made_and_removed_by_its_maker_only(tmp_path: Path):
    environ: dict[str, str] = {}
    prepared = multiprocess.prepare(environ)
    path = Path(prepared.path)
    try:
        assert environ["PROMETHEUS_MULTIPROC_DIR"] == prepared.path
        assert path.name.startswith(f"payment-service-metrics-{os.getpid()}-")
        # A forked child (a gunicorn worker) inherits the object: its release keeps the dir.
        pid = os.fork()
        if pid == 0:
            prepared.release()
            os._exit(0)
        os.waitpid(pid, 0)
        assert path.exists()
        prepared.release()
        assert not path.exists()
    finally:
        if path.exists():
            path.rmdir()


def test_serve_shares_its_directory_and_the_api_adopts_it_as_is(tmp_path: Path):
    given = tmp_path / "shared"
    given.mkdir()
    (given / "counter_1.db").write_bytes(b"a sibling's, already counting")
    environ = {
        "PROMETHEUS_MULTIPROC_DIR": str(given),
        multiprocess.SUPERVISED_ENV: str(given),
    }
    adopted = multiprocess.adopt(environ)
    assert adopted is not None and not adopted.owned
    assert (given / "counter_1.db").exists()
    assert multiprocess.adopt({"PROMETHEUS_MULTIPROC_DIR": str(given)}) is None

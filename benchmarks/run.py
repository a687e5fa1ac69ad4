"""`make bench`: every benchmark in turn, each printing its figures, its baseline and its ratio;
then one line per benchmark (target met or not) and the machine it ran on.

    .venv/bin/python benchmarks/run.py [--database-url URL] [--only NAME ...] [--quick]

`--database-url` (a scratch PostgreSQL database, emptied by several of them) is given to the
benchmarks that take one; without it they use temporary SQLite files. `--quick` runs smaller
versions (fewer rounds and webhooks) to check that everything runs; the figures of record come
from a full run.
"""

from __future__ import annotations

import argparse
import datetime
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# name -> (extra arguments of a full run, of a quick run, takes --database-url)
BENCHMARKS: dict[str, tuple[list[str], list[str], bool]] = {
    "transport": ([], ["--rounds", "300"], False),
    "health": ([], ["--seconds", "2", "--rounds", "1"], True),
    "passwords": ([], ["--rows", "5", "--repeats", "10"], True),
    "creates": ([], ["--creates", "16", "--rounds", "1"], True),
    "delivery": ([], ["--webhooks", "100"], True),
    "webhook_latency": ([], ["--per-client", "10"], True),
    "senders": ([], ["--webhooks", "1000"], True),
    "outside_world": ([], [], True),
    "capacity": ([], ["--count", "16"], True),  # PostgreSQL only: skipped without a URL
}
NEEDS_POSTGRES = {"capacity"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), default=None)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    names = args.only or list(BENCHMARKS)
    outcomes: dict[str, tuple[int, float]] = {}
    for name in names:
        full, quick, takes_url = BENCHMARKS[name]
        if name in NEEDS_POSTGRES and not args.database_url:
            print(f"\n== {name}: skipped (needs --database-url, a PostgreSQL database)")
            continue
        command = [sys.executable, str(HERE / f"{name}.py"), *(quick if args.quick else full)]
        if takes_url and args.database_url:
            command += ["--database-url", args.database_url]
        print(f"\n== {name}: {' '.join(command[1:])}", flush=True)
        started = time.monotonic()
        code = subprocess.call(command)
        outcomes[name] = (code, time.monotonic() - started)
    print("\n== summary")
    for name, (code, seconds) in outcomes.items():
        verdict = "target met" if code == 0 else f"MISSED or failed (exit {code})"
        print(f"  {name:16} {verdict:32} {seconds:6.0f} s")
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"  {now}; {os.cpu_count()} cores; load average {load}")
    return 0 if all(code == 0 for code, _ in outcomes.values()) else 1


if __name__ == "__main__":
    sys.exit(main())

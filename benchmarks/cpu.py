"""CPU time from /proc (Linux): of a process tree, of PostgreSQL's processes, of the machine.

CPU seconds are what a busy machine disturbs least: a benchmark that also prints them says
what each part of a measured path costs, and therefore where a machine's cores run out."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it (`serve` runs gunicorn as a role: its workers are
    grandchildren)."""
    found = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:
        return found
    for child in map(int, children):
        found += descendants(child)
    return found


def cpu_seconds(pids: Iterable[int]) -> float:
    """CPU time (user + system) used so far by the processes `pids` (gone ones count 0)."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += (int(fields[11]) + int(fields[12])) / TICK  # utime, stime
    return total


def tree_cpu_seconds(root: int) -> float:
    """CPU time of `root` and all its descendants (e.g. gunicorn's master and workers)."""
    return cpu_seconds(descendants(root))


def postgres_pids() -> list[int]:
    """Every process of the PostgreSQL server on this machine (backends, WAL writer, …)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    found.append(int(entry.name))
            except (FileNotFoundError, ProcessLookupError):
                continue
    return found


def machine_busy_seconds() -> float:
    """CPU seconds all cores have spent on anything but idling, since boot."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / TICK

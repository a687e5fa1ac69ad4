"""`IPerformance` (docs/payment-api.md §2.2 R2), filled with this Python process's own figures.

The keys are the original's (Node's process.cpuUsage/memoryUsage/resourceUsage) so that its
SDK reads them; Python has no V8 heap, so `heapTotal`/`heapUsed` report the process's data
segment and the memory held by the Python allocator.
"""

from __future__ import annotations

import resource
import sys
from pathlib import Path
from typing import Any


def performance_info() -> dict[str, Any]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    rss, data = _memory()
    user_us, system_us = int(usage.ru_utime * 1e6), int(usage.ru_stime * 1e6)
    return {
        "cpu": {"user": user_us, "system": system_us},
        "memory": {
            "rss": rss,
            "heapTotal": data,
            "heapUsed": sys.getallocatedblocks() * 64,
            "external": 0,
            "arrayBuffers": 0,
        },
        "resource": {
            "userCPUTime": user_us,
            "systemCPUTime": system_us,
            "maxRSS": usage.ru_maxrss,
            "sharedMemorySize": usage.ru_ixrss,
            "unsharedDataSize": usage.ru_idrss,
            "unsharedStackSize": usage.ru_isrss,
            "minorPageFault": usage.ru_minflt,
            "majorPageFault": usage.ru_majflt,
            "swappedOut": usage.ru_nswap,
            "fsRead": usage.ru_inblock,
            "fsWrite": usage.ru_oublock,
            "ipcSent": usage.ru_msgsnd,
            "ipcReceived": usage.ru_msgrcv,
            "signalsCount": usage.ru_nsignals,
            "voluntaryContextSwitches": usage.ru_nvcsw,
            "involuntaryContextSwitches": usage.ru_nivcsw,
        },
    }


def _memory() -> tuple[int, int]:
    """(resident set, data segment) in bytes; Linux reads /proc, elsewhere max RSS stands in."""
    try:
        fields = Path("/proc/self/statm").read_text().split()
        page = resource.getpagesize()
        return int(fields[1]) * page, int(fields[5]) * page
    except (OSError, IndexError, ValueError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        return peak, peak

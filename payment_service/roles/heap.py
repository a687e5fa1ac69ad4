"""Keeping the garbage collector's full passes short in long-running processes.

A process of this server holds some 130,000 objects once started (modules, classes, the app,
SQLAlchemy's mappers) that live as long as it does. CPython's full collection walks every
tracked object with the GIL held: 30–90 ms here, now and then, in the middle of whatever a
thread was doing — a webhook about to be sent, a request being answered — which is where the
slowest deliveries of the latency benchmark came from. `gc.freeze()` once start-up is done
moves those objects out of the collector's view for good; later full passes walk only what
came since. Cycles among the frozen objects are never collected, which costs nothing for
objects that were never going away.
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Call once a process has started up and before it begins its work."""
    gc.collect()  # what start-up already dropped is freed, not frozen
    gc.freeze()

"""How many threads training uses (lessons 03-05)."""
from __future__ import annotations

import os
import time


def busy_cores(interval: float = 0.25) -> float | None:
    """How many cores other work keeps busy *now*: (1 - idle share) x cores, from two reads of
    ``/proc/stat`` ``interval`` seconds apart (Linux). ``None`` where that file does not exist."""
    def read() -> tuple[int, int] | None:
        try:
            with open("/proc/stat") as f:
                fields = [int(v) for v in f.readline().split()[1:]]
        except (OSError, ValueError):
            return None
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        return idle, sum(fields)

    first = read()
    if first is None:
        return None
    time.sleep(interval)
    second = read()
    if second is None or second[1] == first[1]:
        return None
    idle_share = (second[0] - first[0]) / (second[1] - first[1])
    return (1.0 - idle_share) * (os.cpu_count() or 1)


def auto_threads() -> int:
    """Torch threads for training: 2 on a machine with >= 2 cores and a free core, 1 when other work
    keeps the cores busy right now (2 threads fighting for 1 free core run ~3x slower than 1). The
    current load is sampled (``busy_cores``); the 1-minute load average, which lags behind a process
    that just ended, is the fallback where /proc/stat is missing."""
    cores = os.cpu_count() or 1
    n = min(2, cores)
    busy = busy_cores()
    if busy is None:
        try:
            busy = os.getloadavg()[0]
        except (AttributeError, OSError):
            return n
    return 1 if busy > cores - 1 else n

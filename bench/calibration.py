"""A fixed pure-Python workload timed in the handler's thread right before and after each operation
the bench judges, so that the handler's CPU time can be expressed in units of what this machine
delivers at that moment (see bench.gate)."""

from __future__ import annotations

import gc
import json
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

# Repetitions per sample; the median is kept, so one rep hit by a collection or a preemption does
# not move it.
REPS = 5


def workload() -> int:
    """Roughly what a poll does per server, a thousand times: build records, round-trip them through
    JSON, group them, pick and sort the changed ones (about 2.5 ms on the reference machine)."""
    items = [
        {
            "sourceServerID": f"s-{i:017x}",
            "status": ("LAUNCHED", "PENDING")[i % 2],
            "n": i,
            "tags": {"Name": f"bench-{i:04d}"},
        }
        for i in range(1000)
    ]
    back = json.loads(json.dumps(items))
    by_status: dict[str, list[str]] = {}
    for item in back:
        by_status.setdefault(item["status"], []).append(item["sourceServerID"])
    changed = sorted((item for item in back if item["n"] % 3), key=lambda item: item["sourceServerID"])
    return len(changed) + len(by_status)


def sample(reps: int = REPS) -> float:
    """The median thread CPU seconds of `reps` runs of the workload in the calling thread."""
    spent = []
    for _ in range(reps):
        started = time.thread_time()
        workload()
        spent.append(time.thread_time() - started)
    return statistics.median(spent)


@dataclass
class GcClock:
    """Thread CPU seconds spent in garbage collections, per thread. In the sandbox one process holds
    the handler, moto and the simulator (millions of objects at 1,000 servers); a full collection
    scans all of them and is paid by whichever thread happened to allocate last, so the handler's
    thread sometimes pays for the sandbox's heap. A Lambda's heap holds only the handler's."""

    spent: dict[int, float] = field(default_factory=dict)
    _started: dict[int, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, phase: str, _info: dict[str, int]) -> None:
        thread = threading.get_ident()
        now = time.thread_time()
        with self._lock:
            if phase == "start":
                self._started[thread] = now
            elif thread in self._started:
                self.spent[thread] = self.spent.get(thread, 0.0) + now - self._started.pop(thread)

    def thread_seconds(self) -> float:
        with self._lock:
            return self.spent.get(threading.get_ident(), 0.0)


@contextmanager
def gc_clock() -> Iterator[GcClock]:
    clock = GcClock()
    gc.callbacks.append(clock)
    try:
        yield clock
    finally:
        gc.callbacks.remove(clock)

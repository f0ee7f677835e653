"""Opt-in diagnostic: where does a long-running process's Python heap grow (docs/reliability.md, "Soak")?

With ``MEMORY_TRACE_DIR=/some/folder`` in its environment, daphne (server/asgi.py) starts ``tracemalloc`` and a
daemon thread that, every ``MEMORY_TRACE_SECONDS`` (default 60), appends to ``memory-<pid>.txt`` in that folder
the allocation sites that grew most since the first snapshot (grouped by traceback, ``MEMORY_TRACE_FRAMES`` deep,
default 2) and the object types whose live count grew most. The first snapshot is taken one interval after the
start, so imports and the connect burst are not counted. The cluster passes the three variables through to its
daphnes. Tracing costs CPU and memory (8 frames slowed a daphne with 150 sockets into a reconnect storm, and the
kept snapshots double its heap): it is for finding a grower in a soak, never for production or for the soak's
growth figures.
"""

from __future__ import annotations

import gc
import os
import threading
import time
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import TextIO

TOP = 15
IGNORED = (tracemalloc.__file__, __file__, "<frozen importlib._bootstrap>")


def install_from_environment() -> None:
    """Start tracing if MEMORY_TRACE_DIR is set; otherwise do nothing."""
    folder = os.environ.get("MEMORY_TRACE_DIR", "")
    if not folder:
        return
    target = Path(folder) / f"memory-{os.getpid()}.txt"
    tracemalloc.start(int(os.environ.get("MEMORY_TRACE_FRAMES", "2")))
    interval = float(os.environ.get("MEMORY_TRACE_SECONDS", "60"))
    thread = threading.Thread(target=_trace_forever, args=(target, interval), name="memory-trace", daemon=True)
    thread.start()


def _trace_forever(target: Path, interval: float) -> None:
    time.sleep(interval)
    baseline, types = _snapshot(), _type_counts()
    while True:
        time.sleep(interval)
        with target.open("a") as out:
            write_growth(out, baseline, _snapshot(), types, _type_counts())


def _snapshot() -> tracemalloc.Snapshot:
    return tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(False, name) for name in IGNORED])


def _type_counts() -> Counter[str]:
    return Counter(type(thing).__qualname__ for thing in gc.get_objects())


def write_growth(
    out: TextIO, before: tracemalloc.Snapshot, after: tracemalloc.Snapshot, types: Counter[str], now: Counter[str]
) -> None:
    """The sites and types that grew most from ``before`` to ``after``, as one block of text."""
    traced = sum(stat.size for stat in after.statistics("filename"))
    out.write(f"=== pid {os.getpid()} at {time.strftime('%H:%M:%S')}: traced {traced / 1e6:.1f} MB\n")
    for stat in after.compare_to(before, "traceback")[:TOP]:
        out.write(f"{stat.size_diff / 1024:+.0f} KiB, {stat.count_diff:+d} blocks, now {stat.size / 1024:.0f} KiB\n")
        out.writelines(f"    {line}\n" for line in stat.traceback.format(most_recent_first=True))
    grown = Counter({name: count - types[name] for name, count in now.items() if count > types[name]})
    out.write("object types: " + ", ".join(f"{name} +{count}" for name, count in grown.most_common(TOP)) + "\n")

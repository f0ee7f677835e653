"""Analysis scheduling: keep only the newest frame per stream, analyse the most overdue stream.

Frames arrive from the decoders at the sent rate; analysis runs at ``rate`` per stream
on a small pool of worker threads. A frame that is not picked before the next one
arrives is dropped (never queued), so analysis never falls behind real time; when
a worker is saturated every one of its streams is served in order of how overdue it is.

Each stream belongs to one worker (the least loaded when it is added), because its analysis
state lives with that worker (in the live pipeline: in that worker's analyst process).
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

StreamKey = TypeVar("StreamKey", bound=Hashable)  # how the caller names a stream (e.g. a session id)


@dataclass
class _Slot:
    interval: float
    next_due: float
    worker: int
    frame: Any = None
    arrived: float = 0.0  # when the held frame was handed over
    busy: bool = False


class AnalysisScheduler(Generic[StreamKey]):
    def __init__(self, process: Callable[[StreamKey, Any], None], workers: int = 2, rate: float = 2.0) -> None:
        """``workers`` = 0 analyses nothing (ingest only: the benchmark's baseline)."""
        self._process = process
        self._rate = rate
        self._slots: dict[StreamKey, _Slot] = {}
        self._lock = threading.Lock()
        self._wakeups = [threading.Condition(self._lock) for _ in range(workers)]
        self._sleeping: dict[int, float] = {}  # idle worker -> when it wakes up by itself
        self._stopped = False
        self._counts: Counter[str] = Counter()  # offered, processed, dropped (since the last stats())
        self._lags: deque[float] = deque(maxlen=10_000)  # how late analyses started (due, frame there), s
        self._longest = 0.0  # the longest single analysis since the last stats(), seconds
        self._threads = [
            threading.Thread(target=self._work, args=(i,), name=f"analysis-{i}", daemon=True) for i in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    def add(self, key: StreamKey, rate: float | None = None) -> int:
        """Schedule a stream; returns the worker that will analyse it (-1 without workers)."""
        with self._lock:
            load = Counter(slot.worker for slot in self._slots.values())
            worker = min(range(len(self._threads)), key=lambda index: load[index], default=-1)
            self._slots[key] = _Slot(interval=1.0 / (rate or self._rate), next_due=time.monotonic(), worker=worker)
            return worker

    def remove(self, key: StreamKey) -> None:
        with self._lock:
            self._slots.pop(key, None)

    def offer(self, key: StreamKey, frame: Any) -> None:
        """Hand over the newest frame of a stream; an unanalysed older one is dropped."""
        with self._lock:
            slot = self._slots.get(key)
            if slot is None:
                return
            self._counts["offered"] += 1
            if slot.frame is not None:
                self._counts["dropped"] += 1
            slot.frame, slot.arrived = frame, time.monotonic()
            # Wake the stream's worker only if it would otherwise sleep past the stream's turn (a busy worker
            # looks again when it finishes): a frame that came early waits for its turn without a wake-up.
            wakes_at = self._sleeping.get(slot.worker)
            if not slot.busy and wakes_at is not None and slot.next_due < wakes_at:
                self._wakeups[slot.worker].notify()

    def pending(self, key: StreamKey) -> bool:
        """Whether the stream has a frame waiting or being analysed."""
        with self._lock:
            slot = self._slots.get(key)
            return slot is not None and (slot.frame is not None or slot.busy)

    def stats(self) -> dict[str, float]:
        """Counts since the previous call, the number of streams and the 95th percentile start lag."""
        with self._lock:
            counts, self._counts = self._counts, Counter()
            lags, self._lags = sorted(self._lags), deque(maxlen=10_000)
            longest, self._longest = self._longest, 0.0
            streams = len(self._slots)
        lag_p95 = lags[int(0.95 * (len(lags) - 1))] if lags else 0.0
        counted = {k: counts[k] for k in ("offered", "processed", "dropped")}
        return {"streams": streams, **counted, "lag_p95": lag_p95, "longest": longest}

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            for wakeup in self._wakeups:
                wakeup.notify_all()

    def _next(self, worker: int) -> tuple[StreamKey, Any] | None:
        with self._lock:
            while not self._stopped:
                now = time.monotonic()
                ready = [
                    (s.next_due, key)
                    for key, s in self._slots.items()
                    if s.worker == worker and s.frame is not None and not s.busy
                ]
                due, key = min(ready, key=lambda item: item[0]) if ready else (now + 1.0, None)
                if key is not None and due <= now:
                    slot = self._slots[key]
                    frame, slot.frame, slot.busy = slot.frame, None, True
                    self._lags.append(now - max(due, slot.arrived))  # late from when it could start
                    # Pace from the due time, but never build up a backlog of "catch-up" turns.
                    slot.next_due = max(due + slot.interval, now)
                    return key, frame
                self._sleeping[worker] = due
                self._wakeups[worker].wait(due - now)
                del self._sleeping[worker]
            return None

    def _work(self, worker: int) -> None:
        while (item := self._next(worker)) is not None:
            key, frame = item
            started = time.monotonic()
            try:
                self._process(key, frame)
            finally:
                with self._lock:
                    self._longest = max(self._longest, time.monotonic() - started)
                    slot = self._slots.get(key)
                    if slot is not None:
                        slot.busy = False
                    self._counts["processed"] += 1  # this worker looks for the next turn itself

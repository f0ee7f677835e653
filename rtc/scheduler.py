"""Analysis scheduling: keep only the newest frame per stream, analyse the most overdue stream.

Frames arrive from the decoders at the sent rate; analysis runs at ``rate`` per stream
on a small pool of worker threads. A frame that is not picked before the next one
arrives is dropped (never queued), so analysis never falls behind real time; when
the pool is saturated every stream is served in order of how overdue it is.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any


@dataclass
class _Slot:
    interval: float
    next_due: float
    frame: Any = None
    arrived: float = 0.0  # when the held frame was handed over
    busy: bool = False


class AnalysisScheduler:
    def __init__(self, process: Callable[[Hashable, Any], None], workers: int = 2, rate: float = 2.0) -> None:
        """``workers`` = 0 analyses nothing (ingest only: the benchmark's baseline)."""
        self._process = process
        self._rate = rate
        self._slots: dict[Hashable, _Slot] = {}
        self._cond = threading.Condition()
        self._stopped = False
        self._counts: Counter[str] = Counter()  # offered, processed, dropped (since the last stats())
        self._lags: deque[float] = deque(maxlen=10_000)  # how late analyses started (due, frame there), s
        self._longest = 0.0  # the longest single analysis since the last stats(), seconds
        self._sleepers: dict[int, float] = {}  # idle worker thread id -> when it wakes up by itself
        self._threads = [threading.Thread(target=self._work, name=f"analysis-{i}", daemon=True) for i in range(workers)]
        for thread in self._threads:
            thread.start()

    def add(self, key: Hashable, rate: float | None = None) -> None:
        with self._cond:
            self._slots[key] = _Slot(interval=1.0 / (rate or self._rate), next_due=time.monotonic())

    def set_rate(self, key: Hashable, rate: float) -> None:
        with self._cond:
            if key in self._slots:
                self._slots[key].interval = 1.0 / rate

    def remove(self, key: Hashable) -> None:
        with self._cond:
            self._slots.pop(key, None)

    def offer(self, key: Hashable, frame: Any) -> None:
        """Hand over the newest frame of a stream; an unanalysed older one is dropped."""
        with self._cond:
            slot = self._slots.get(key)
            if slot is None:
                return
            self._counts["offered"] += 1
            if slot.frame is not None:
                self._counts["dropped"] += 1
            slot.frame, slot.arrived = frame, time.monotonic()
            # Wake a worker only if every idle one would otherwise sleep past this stream's turn (busy
            # workers look again when they finish): frames arrive ~5 times as often as they are due.
            if not slot.busy and self._sleepers and slot.next_due < min(self._sleepers.values()):
                self._cond.notify()

    def pending(self, key: Hashable) -> bool:
        """Whether the stream has a frame waiting or being analysed."""
        with self._cond:
            slot = self._slots.get(key)
            return slot is not None and (slot.frame is not None or slot.busy)

    def stats(self) -> dict[str, float]:
        """Counts since the previous call, the number of streams and the 95th percentile start lag."""
        with self._cond:
            counts, self._counts = self._counts, Counter()
            lags, self._lags = sorted(self._lags), deque(maxlen=10_000)
            longest, self._longest = self._longest, 0.0
            streams = len(self._slots)
        lag_p95 = lags[int(0.95 * (len(lags) - 1))] if lags else 0.0
        counted = {k: counts[k] for k in ("offered", "processed", "dropped")}
        return {"streams": streams, **counted, "lag_p95": lag_p95, "longest": longest}

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()

    def _next(self) -> tuple[Hashable, Any] | None:
        with self._cond:
            while not self._stopped:
                now = time.monotonic()
                ready = [(s.next_due, key) for key, s in self._slots.items() if s.frame is not None and not s.busy]
                due, key = min(ready, key=lambda item: item[0]) if ready else (now + 1.0, None)
                if key is not None and due <= now:
                    slot = self._slots[key]
                    frame, slot.frame, slot.busy = slot.frame, None, True
                    self._lags.append(now - max(due, slot.arrived))  # late from when it could start
                    # Pace from the due time, but never build up a backlog of "catch-up" turns.
                    slot.next_due = max(due + slot.interval, now)
                    return key, frame
                me = threading.get_ident()
                self._sleepers[me] = due
                self._cond.wait(due - now)
                del self._sleepers[me]
            return None

    def _work(self) -> None:
        while (item := self._next()) is not None:
            key, frame = item
            started = time.monotonic()
            try:
                self._process(key, frame)
            finally:
                with self._cond:
                    self._longest = max(self._longest, time.monotonic() - started)
                    slot = self._slots.get(key)
                    if slot is not None:
                        slot.busy = False
                    self._counts["processed"] += 1  # this worker looks for the next turn itself

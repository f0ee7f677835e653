"""A stream's requests reach its analyst out of order under load; engine time must never go backwards."""

from __future__ import annotations

from pathlib import Path

from proctor.kinds import Kind
from proctor.live.analyst import StreamAnalysis
from proctor.policy import DEFAULT_POLICY


def monitored_stream(tmp_path: Path) -> StreamAnalysis:
    stream = StreamAnalysis(policy=DEFAULT_POLICY, reference=None, media_root=tmp_path, evidence_dir="evidence")
    stream.monitor(True, now=100.0)
    return stream


def test_a_tick_made_before_a_newer_signal_is_dropped_not_an_error(tmp_path: Path) -> None:
    stream = monitored_stream(tmp_path)
    stream.signal(Kind.TAB_HIDDEN, True, now=110.0)
    assert stream.tick(now=105.0, stalled=True) == []  # queued behind the signal: the stream was not stalled
    assert stream.latest == 110.0


def test_a_late_browser_signal_counts_as_made_at_the_newest_time(tmp_path: Path) -> None:
    stream = monitored_stream(tmp_path)
    stream.tick(now=120.0, stalled=False)
    assert stream.signal(Kind.TAB_HIDDEN, True, now=115.0) == []  # made before the tick, handled after it
    events = [event for event, _ in stream.tick(now=130.0, stalled=False)]
    opened = [e.episode for e in events if e.action == "opened" and e.episode.kind == Kind.TAB_HIDDEN]
    assert [(e.start, e.end) for e in opened] == [(120.0, None)]

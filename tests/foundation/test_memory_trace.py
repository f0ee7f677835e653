"""The soak's heap diagnostic (server/memory_trace.py) names what grew between two snapshots."""

from __future__ import annotations

import io
import tracemalloc
from collections import Counter

from server.memory_trace import write_growth


class Grower:
    """Stands for a cache that keeps what it is given."""


def test_the_report_names_the_site_and_the_type_that_grew() -> None:
    kept: list[Grower] = []
    tracemalloc.start(2)
    try:
        before = tracemalloc.take_snapshot()
        kept.extend(Grower() for _ in range(5_000))
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    out = io.StringIO()
    write_growth(out, before, after, Counter(), Counter({"Grower": len(kept)}))
    report = out.getvalue()
    growth, where = report.split("\n", 3)[1:3]  # the largest grower: its size, then its newest frame
    assert growth.startswith("+")
    assert __file__ in where
    assert "object types: Grower +5000" in report

"""One student's sockets joining and leaving one lesson at the same time, from separate processes on PostgreSQL:
nobody is refused, no error, one participant row, every attendance interval closed, and the overlapping
intervals merge — the student is never counted present for longer than the visits lasted."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support import setups

pytestmark = pytest.mark.postgres

PROCESSES = 4
VISITS = 25


def test_concurrent_joins_and_leaves_merge_into_one_presence(live_env):
    lesson = live_env.call(setups.lesson_now)
    start_at = time.time() + 8  # every process is up by then (Django starts in a few seconds)
    began = time.monotonic()
    with ThreadPoolExecutor(PROCESSES) as pool:  # threads only wait for the processes that do the work
        refusals = list(
            pool.map(
                lambda _: live_env.call(
                    setups.attendance_visits, lesson=lesson, username="student", visits=VISITS, start_at=start_at
                ),
                range(PROCESSES),
            )
        )
    lasted = time.monotonic() - began

    assert refusals == [[]] * PROCESSES
    assert live_env.call(setups.lesson_participants, lesson=lesson) == {"student": 1}
    row = live_env.call(setups.attendance, lesson=lesson)["student"]
    assert row["open_intervals"] == 0
    assert 0 < row["seconds"] <= lasted  # merged, not summed over the processes' overlapping visits

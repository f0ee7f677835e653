"""A student opening an exam in two tabs or on two devices at the same moment, each reaching a different daphne
process on PostgreSQL: one session, both pages show it, no IntegrityError leaking as a server error."""

from __future__ import annotations

import re
import threading

import pytest

from tests.support import setups
from tests.support.client import logged_in

pytestmark = pytest.mark.postgres

ROUNDS = 5  # a fresh exam each round: the first visit creates the session, so each round is a new race
SESSION_IN_PAGE = re.compile(rb'"socket": "/ws/rtc/sessions/(\d+)/"')


def test_two_devices_starting_at_once_share_one_session(daphne_factory, live_env):
    servers = daphne_factory.several(2)
    devices = [logged_in(server.url, "student") for server in servers]  # two logins: two devices
    for round_ in range(ROUNDS):
        exam = live_env.call(
            setups.open_exam,
            title=f"Гонка {round_}",
            minutes=30,
            policy={},
            student="student",
            reference="",
            consent=True,
        )
        start = threading.Barrier(len(devices))
        pages: list[tuple[int, bytes]] = [(0, b"")] * len(devices)

        def open_exam(i: int, exam: int = exam, start: threading.Barrier = start, pages=pages) -> None:
            start.wait()
            pages[i] = devices[i].get(f"/proctor/exams/{exam}/take/")

        threads = [threading.Thread(target=open_exam, args=(i,)) for i in range(len(devices))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)

        assert [status for status, _ in pages] == [200, 200]
        sessions = live_env.call(setups.exam_sessions, exam=exam)
        assert len(sessions["student"]) == 1
        shown = {int(match.group(1)) for _, body in pages if (match := SESSION_IN_PAGE.search(body))}
        assert shown == set(sessions["student"])
    for server in servers:
        assert "Traceback" not in server.log()

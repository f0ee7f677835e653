"""The fault suite's lesson participants with media (tests/support/lesson_media.py) against a real daphne and Janus:
the teacher and a student publish their cameras, a second student receives both. Each is up only once it decodes
frames from every other publisher; after Janus restarts (every room and feed gone) each is told, joins again,
publishes and subscribes again, and is up again with frames decoded since."""

from __future__ import annotations

import asyncio
import time

import pytest

from bench import setups
from tests.support.lesson_media import media_entries, participants_of
from tests.support.traffic_base import ClientState
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.media, pytest.mark.slow]

STUDENTS = 2
WITHIN_S = 90.0  # generous for a busy machine: how fast is bench/faults.py's business


def all_up(states: dict[int, ClientState]) -> bool:
    return all(state.availability.down_since is None for state in states.values())


async def test_media_participants_receive_and_come_back_after_janus_restarts(
    private_network, daphne_factory, janus_server, live_env
):
    server = daphne_factory(extra_env=janus_server.env)
    lesson = live_env.call(setups.lesson_with_participants, students=STUDENTS)
    entries = media_entries(lesson["cookies"], STUDENTS)
    states = {entry["index"]: ClientState() for entry in entries}
    participants = participants_of(server.url, lesson["lesson"], entries, states.__getitem__)
    tasks = [asyncio.ensure_future(participant.run()) for participant in participants]
    try:
        await wait_for(lambda: all_up(states), WITHIN_S, what="media flowing to every participant")
        assert all(state.frames_since(0.0) for state in states.values())

        restarted = time.time()
        janus_server.restart()
        await wait_for(
            lambda: all(state.errors["media.lost"] for state in states.values()), WITHIN_S, what="media.lost"
        )
        await wait_for(lambda: all_up(states), WITHIN_S, what="media flowing again")
        back = max(state.availability.outages[-1][1] for state in states.values())
        assert back > restarted
        await wait_for(
            lambda: all(state.frames_since(back) for state in states.values()), WITHIN_S, what="frames after the rejoin"
        )
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

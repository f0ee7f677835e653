"""The exam socket's limits are one budget per exam session across daphne processes on Redis: a student whose
page moves to another process (a reconnect through the proxy) does not get a fresh budget there."""

from __future__ import annotations

import json
from collections import Counter

from tests.exams.helpers import open_session
from tests.support.client import logged_in, receive_json

BROWSER_EVENT_BURST = 20  # proctor.media.exam_socket.BROWSER_EVENT_RATE


async def browser_events(server, session_id: int, count: int) -> Counter:
    """Open the session's socket on ``server`` and send ``count`` browser events; the answers by type or error."""
    ws = await logged_in(server.url, "student").websocket(f"/ws/rtc/sessions/{session_id}/")
    assert (await receive_json(ws))["type"] == "session.state"
    answers: Counter = Counter()
    for _ in range(count):
        await ws.send(json.dumps({"type": "browser_event", "event": "tab_hidden"}))
        answer = await receive_json(ws)
        answers[answer.get("error", answer["type"])] += 1
    await ws.close()
    return answers


async def test_a_session_moving_to_another_process_keeps_its_spent_budget(
    make_exam, daphne_factory, redis_server, live_env
):
    server_a, server_b = (daphne_factory(redis_url=redis_server.url) for _ in range(2))
    session_id = await open_session(server_a, make_exam(None))
    assert await browser_events(server_a, session_id, BROWSER_EVENT_BURST) == {"event.recorded": BROWSER_EVENT_BURST}
    on_b = await browser_events(server_b, session_id, BROWSER_EVENT_BURST + 5)
    # Counted per process, B would record a whole burst (20 of 25); shared, only what refilled meanwhile.
    assert on_b["event.recorded"] < BROWSER_EVENT_BURST
    assert on_b["rate_limited"] > 5

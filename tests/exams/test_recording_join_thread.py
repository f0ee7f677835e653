"""Joining a long attempt's recording keeps nobody else waiting: through a real daphne, while the manifest joins a
15-minute piece, another user's ordinary request is answered before the manifest is. Django under ASGI runs each
request's sync code (the join included) in a thread of that request, not in the thread the sockets' database
calls share; this fails if the join comes to hold up other requests (run on the event loop, behind a lock)."""

from __future__ import annotations

import json
import threading
import time

import pytest

from tests.support import setups
from tests.support.client import Session, logged_in

from .media_setups import long_recording

pytestmark = pytest.mark.slow

RECORDED_MINUTES = 15  # a join of ~1.5 s (docs/benchmarks.md): far longer than a page takes, not a timing assertion


def test_a_long_join_keeps_nobody_else_waiting(live_env, daphne_factory, tmp_path):
    session = live_env.call(setups.reviewable_session)
    live_env.call(long_recording, session=session, minutes=RECORDED_MINUTES, folder=str(tmp_path))
    server = daphne_factory()
    proctor, other = logged_in(server.url, "proctor"), logged_in(server.url, "student2")
    recordings = live_env.var_dir / "media" / "recordings" / str(session)
    pieces = set(recordings.iterdir())
    answered: dict[str, tuple[int, bytes]] = {}  # in the order the answers arrived

    def get(client: Session, path: str, name: str) -> None:
        answered[name] = client.get(path)

    manifest = threading.Thread(target=get, args=(proctor, f"/proctor/sessions/{session}/recording.json", "manifest"))
    manifest.start()
    deadline = time.monotonic() + 60
    while set(recordings.iterdir()) == pieces and time.monotonic() < deadline:  # the join writes its file
        time.sleep(0.01)
    assert set(recordings.iterdir()) != pieces, "the join never started"
    get(other, "/proctor/my-data.json", "other")
    manifest.join(120)
    assert list(answered) == ["other", "manifest"]
    assert (answered["other"][0], answered["manifest"][0]) == (200, 200)
    assert json.loads(answered["manifest"][1])["duration"] >= RECORDED_MINUTES * 60 - 10  # the whole long piece

"""Thumbnails reach the proctors' dashboards in batches: one message per exam and second, not one per student.

Sixty students with a thumbnail every 3 s are 20 channel-layer messages a second, each sent to every
proctor's socket; on a busy media process they queued ahead of the episodes that matter (bench/proctor_load.py:
seconds from an episode's decision to the proctor at 60 students). Each event loop keeps one board: the newest
thumbnail per session, flushed for each exam every ``FLUSH_SECONDS`` as a single ``thumbnails`` event.
"""

from __future__ import annotations

import asyncio
import weakref

from . import broadcast

FLUSH_SECONDS = 1.0


class ThumbnailBoard:
    def __init__(self) -> None:
        self._pending: dict[int, dict[int, str]] = {}  # exam -> session -> data: URL
        self._flusher: asyncio.Task | None = None

    def put(self, exam_id: int, session_id: int, image: str) -> None:
        """Keep the session's newest thumbnail until the next flush (an older unsent one is replaced)."""
        self._pending.setdefault(exam_id, {})[session_id] = image
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.ensure_future(self._flush_while_pending())

    async def _flush_while_pending(self) -> None:
        while self._pending:
            await asyncio.sleep(FLUSH_SECONDS)
            batch, self._pending = self._pending, {}
            for exam_id, images in batch.items():
                thumbnails = {str(session_id): image for session_id, image in images.items()}
                await broadcast.to_dashboard(exam_id, {"type": "thumbnails", "images": thumbnails})


_boards: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ThumbnailBoard] = weakref.WeakKeyDictionary()


def board() -> ThumbnailBoard:
    """The running event loop's board."""
    loop = asyncio.get_running_loop()
    if loop not in _boards:
        _boards[loop] = ThumbnailBoard()
    return _boards[loop]

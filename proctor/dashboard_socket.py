"""The proctor's live dashboard socket: session status, thumbnails and episodes of one exam.

Only proctors assigned to the exam (and administrators) may connect. Commands:
``watch`` (switch a student to the live-view grade while watched), ``warn``, ``admit``
(after a manual identity check, audited) and ``end``.
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from django.utils.translation import gettext

from rtc.peer import MAX_SDP_BYTES
from server.ws import CloseCode, JsonProtocolConsumer, ProtocolError

from . import actions, exam_access
from .live import broadcast
from .live import sessions as live_sessions
from .models import Exam, ExamSession

MAX_WARNING_CHARS = 500


def _authorise(user, exam_id: int) -> Exam | None:
    exam = Exam.objects.filter(pk=exam_id).first()
    return exam if exam is not None and exam_access.can_supervise(user, exam) else None


def _snapshot(exam_id: int) -> list[dict]:
    sessions = ExamSession.objects.filter(exam_id=exam_id).select_related("student").order_by("student__last_name")
    return [live_sessions.session_summary(s) for s in sessions]


def _session_in_exam(exam_id: int, session_id: Any) -> bool:
    return type(session_id) is int and ExamSession.objects.filter(pk=session_id, exam_id=exam_id).exists()


class DashboardConsumer(JsonProtocolConsumer):
    max_frame_bytes = MAX_SDP_BYTES + 1024
    exam_id: int | None = None

    async def connect(self) -> None:
        exam_id = int(self.scope["url_route"]["kwargs"]["exam_id"])
        if await database_sync_to_async(_authorise)(self.scope["user"], exam_id) is None:
            await self.accept()
            await self.close(code=CloseCode.FORBIDDEN)
            return
        self.exam_id = exam_id
        self.watching: set[int] = set()
        await self.channel_layer.group_add(broadcast.dashboard_group(exam_id), self.channel_name)
        await self.accept()
        await self.send_json({"type": "snapshot", "sessions": await database_sync_to_async(_snapshot)(exam_id)})

    async def disconnect(self, code: int) -> None:
        if self.exam_id is None:
            return
        await self.channel_layer.group_discard(broadcast.dashboard_group(self.exam_id), self.channel_name)
        for session_id in self.watching:
            await broadcast.to_session(session_id, "grade", grade="analysis")
            await broadcast.to_session(session_id, "view_close", reply_to=self.channel_name)

    async def receive_json(self, content: dict[str, Any], **kwargs: Any) -> None:
        handler = {
            "watch": self._watch,
            "view": self._view,
            "warn": self._warn,
            "admit": self._admit,
            "end": self._end,
        }.get(content["type"])
        if handler is None:
            raise ProtocolError("unknown_type", f"unknown message type {content['type']!r}")
        session_id = content.get("session")
        if not await database_sync_to_async(_session_in_exam)(self.exam_id, session_id):
            raise ProtocolError("bad_session", "session: the id of a session of this exam")
        await handler(session_id, content)

    async def _watch(self, session_id: int, content: dict) -> None:
        on = content.get("on")
        if not isinstance(on, bool):
            raise ProtocolError("bad_field", "on: true to watch live, false to stop")
        (self.watching.add if on else self.watching.discard)(session_id)
        await broadcast.to_session(session_id, "grade", grade="live" if on else "analysis")
        if not on:
            await broadcast.to_session(session_id, "view_close", reply_to=self.channel_name)

    async def _view(self, session_id: int, content: dict) -> None:
        """Live video: the proctor's browser offers to receive; the student's socket answers with the camera."""
        sdp = content.get("sdp")
        if not isinstance(sdp, str) or not sdp.startswith("v=0") or len(sdp) > MAX_SDP_BYTES:
            raise ProtocolError("bad_sdp", f"sdp: a complete SDP offer (v=0...) of at most {MAX_SDP_BYTES} bytes")
        self.watching.add(session_id)
        await broadcast.to_session(session_id, "view_offer", sdp=sdp, reply_to=self.channel_name)

    async def _warn(self, session_id: int, content: dict) -> None:
        text = content.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_WARNING_CHARS:
            raise ProtocolError("bad_field", f"text: 1..{MAX_WARNING_CHARS} characters")
        await database_sync_to_async(actions.warn)(session_id, self.scope["user"], text.strip())

    async def _admit(self, session_id: int, content: dict) -> None:
        try:
            await database_sync_to_async(actions.admit)(session_id, self.scope["user"])
        except live_sessions.SessionClosed:
            raise ProtocolError("session_over", "the session has ended") from None

    async def _end(self, session_id: int, content: dict) -> None:
        await database_sync_to_async(actions.end_session)(session_id, ExamSession.EndReason.PROCTOR, self.scope["user"])

    async def dashboard_event(self, message: dict) -> None:
        event = message["event"]
        if event.get("type") == "view.error":  # the media worker words it in the source language (gettext_noop)
            event = {**event, "detail": gettext(event["detail"])}
        await self.send_json(event)

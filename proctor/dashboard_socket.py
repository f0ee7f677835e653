"""The proctor's live dashboard socket: session status, thumbnails and episodes of one exam.

Only proctors assigned to the exam (and administrators) may connect. Commands (schemas in
:mod:`proctor.dashboard_protocol`, docs/dashboard-protocol.md): ``watch`` (switch a student to the
live-view grade while watched), ``view`` (live video), ``warn``, ``admit`` (after a manual identity
check, audited), ``end`` and ``reopen`` (an ended session, audited: the student may come back).
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from django.utils.translation import gettext

from server.accounts.models import User
from server.ws import CloseCode, JsonProtocolConsumer, ProtocolError, RateLimit, Reply

from . import actions, exam_access
from . import dashboard_protocol as protocol
from .live import broadcast
from .live import sessions as live_sessions
from .media.protocol import MAX_SDP_BYTES
from .models import Exam, ExamSession


def _authorise(user: User, exam_id: int) -> Exam | None:
    # A User: server.ws turns signed-out sockets away before connect() runs.
    exam = Exam.objects.filter(pk=exam_id).first()
    return exam if exam is not None and exam_access.can_supervise(user, exam) else None


def _snapshot(exam_id: int) -> list[live_sessions.SessionSummary]:
    sessions = ExamSession.objects.filter(exam_id=exam_id).select_related("student").order_by("student__last_name")
    return [live_sessions.session_summary(s) for s in sessions]


def _session_in_exam(exam_id: int, session_id: int) -> bool:
    return ExamSession.objects.filter(pk=session_id, exam_id=exam_id).exists()


class DashboardConsumer(JsonProtocolConsumer):
    schemas = protocol.SCHEMAS
    max_frame_bytes = MAX_SDP_BYTES + 1024
    frame_limit = RateLimit("dashboard messages", 120, 6)  # bursts of 120 (watching a class of 30 is 30), 20 a second
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
        snapshot: protocol.Snapshot = {"type": "snapshot", "sessions": await database_sync_to_async(_snapshot)(exam_id)}
        await self.send_json(snapshot)

    async def disconnect(self, code: int) -> None:
        if self.exam_id is None:
            return
        await self.channel_layer.group_discard(broadcast.dashboard_group(self.exam_id), self.channel_name)
        for session_id in self.watching:
            await broadcast.to_session(session_id, "grade", grade="analysis")
            await broadcast.to_session(session_id, "view_close", reply_to=self.channel_name)

    async def rights_changed(self, user: Any) -> None:
        """A proctor taken off the exam (or no longer an administrator) loses the feed at once (server.ws.rights)."""
        if self.exam_id is not None and await database_sync_to_async(_authorise)(user, self.exam_id) is None:
            await self.revoke(CloseCode.FORBIDDEN)

    async def handle_message(self, message_type: str, fields: dict[str, Any]) -> Reply | None:
        if not await database_sync_to_async(_session_in_exam)(self.exam_id, fields["session"]):
            raise ProtocolError("bad_session", "session: the id of a session of this exam")
        return await super().handle_message(message_type, fields)

    async def on_watch(self, session: int, on: bool) -> None:
        (self.watching.add if on else self.watching.discard)(session)
        await broadcast.to_session(session, "grade", grade="live" if on else "analysis")
        if not on:
            await broadcast.to_session(session, "view_close", reply_to=self.channel_name)

    async def on_view(self, session: int, sdp: str, source: str) -> None:
        """Live video: the proctor's browser offers to receive; the student's media worker answers with the camera
        or the shared screen (``source``)."""
        self.watching.add(session)
        await broadcast.to_session(session, "view_offer", sdp=sdp, source=source, reply_to=self.channel_name)

    async def on_warn(self, session: int, text: str) -> None:
        await database_sync_to_async(actions.warn)(session, self.scope["user"], text)

    async def on_admit(self, session: int) -> None:
        try:
            await database_sync_to_async(actions.admit)(session, self.scope["user"])
        except live_sessions.SessionClosed:
            raise ProtocolError("session_over", "the session has ended") from None

    async def on_end(self, session: int) -> None:
        await database_sync_to_async(actions.end_session)(session, ExamSession.EndReason.PROCTOR, self.scope["user"])

    async def on_reopen(self, session: int) -> None:
        try:
            await database_sync_to_async(actions.reopen)(session, self.scope["user"])
        except live_sessions.NotReopenable as refusal:
            raise ProtocolError("not_reopenable", str(refusal)) from None

    async def dashboard_event(self, message: broadcast.DashboardMessage) -> None:
        await self.send_json(message["event"])

    async def dashboard_view(self, message: broadcast.ViewMessage) -> None:
        event = message["event"]
        if event["type"] == "view.error":  # the media worker words it in the source language (gettext_noop)
            event = {**event, "detail": gettext(event["detail"])}
        await self.send_json(event)

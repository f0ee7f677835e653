"""The exam session's chat room (student ↔ assigned proctors), through the chat app's room API."""

from __future__ import annotations

from chat.models import Room
from chat.rooms import room_for_exam_session

from ..models import ExamSession


def ensure_exam_chat(session: ExamSession) -> int:
    """Create or refresh the session's room: the student takes part, the exam's proctors moderate."""
    title = f"{session.exam.title}: {session.student.full_name or session.student.username}"
    room = room_for_exam_session(str(session.pk), [session.student], session.exam.proctors.all(), title=title)
    return room.pk


def exam_chat_id(session_id: int) -> int | None:
    return Room.objects.filter(kind=Room.Kind.EXAM, key=str(session_id)).values_list("pk", flat=True).first()

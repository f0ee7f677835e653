"""The lesson's chat room, from the chat app's generic room API (one room per lesson, all occurrences)."""

from __future__ import annotations

import logging

from chat.rooms import room_for_lesson

from .models import Lesson

log = logging.getLogger(__name__)


def ensure_lesson_chat(lesson: Lesson) -> int | None:
    """Create or sync the chat room of the lesson (students take part, teachers moderate); its id."""
    teachers = {lesson.teacher_id, *lesson.group.teachers.values_list("pk", flat=True)}
    try:
        room = room_for_lesson(
            f"lesson-{lesson.pk}", f"{lesson.title} ({lesson.group})", lesson.group.students.all(), teachers
        )
    except Exception:  # the lesson goes on without its chat rather than failing to open
        log.exception("could not open the chat of lesson %s", lesson.pk)
        return None
    return room.pk

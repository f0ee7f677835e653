"""Online lessons: the timetable entry, one held occurrence, who took part and when.

* :class:`Lesson` — a group's lesson or consultation with its teacher, start, duration and weekly repeat.
* :class:`LessonRun` — one occurrence that somebody joined: its Janus room, lock and moderation settings.
* :class:`Participant` — a person in a run (role, hand raised, muted/camera off by the teacher, removed).
* :class:`Presence` — one connected interval of one socket; attendance is computed from these.
* :class:`Recording` — one stretch of a run recorded by Janus, and the WebM files made of it afterwards.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from server.school.models import StudyGroup

JANUS_ROOM_ID_LIMIT = 2**52  # fits a JavaScript number and Janus's guint64


def new_janus_room_id() -> int:
    return secrets.randbelow(JANUS_ROOM_ID_LIMIT - 1_000_000) + 1_000_000


class Lesson(models.Model):
    class Kind(models.TextChoices):
        LESSON = "lesson", _("Онлайн-урок")
        CONSULTATION = "consultation", _("Консультация")

    title = models.CharField(_("тема"), max_length=200)
    kind = models.CharField(_("вид"), max_length=16, choices=Kind.choices, default=Kind.LESSON)
    group = models.ForeignKey(StudyGroup, verbose_name=_("группа"), on_delete=models.PROTECT, related_name="lessons")
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("учитель"), on_delete=models.PROTECT, related_name="lessons_taught"
    )
    starts_at = models.DateTimeField(_("начало"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("длительность, мин"), default=45, validators=[MinValueValidator(5), MaxValueValidator(240)]
    )
    repeat_weekly = models.BooleanField(_("повторять каждую неделю"), default=False)
    repeat_until = models.DateField(_("повторять до"), null=True, blank=True)
    students_camera_allowed = models.BooleanField(_("ученики могут включать камеру"), default=True)
    students_microphone_allowed = models.BooleanField(_("ученики могут включать микрофон"), default=True)

    class Meta:
        verbose_name = _("онлайн-урок")
        verbose_name_plural = _("онлайн-уроки")
        ordering = ["starts_at"]

    def __str__(self) -> str:
        return f"{self.title} ({self.group})"

    @property
    def duration(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.duration_minutes)

    def occurrences(self, since: dt.datetime, until: dt.datetime) -> list[dt.datetime]:
        """Starts of the occurrences that overlap [since, until)."""
        if not self.repeat_weekly:
            return [self.starts_at] if self.starts_at < until and self.starts_at + self.duration > since else []
        week = dt.timedelta(weeks=1)
        skipped = max(0, (since - self.duration - self.starts_at) // week)
        start = self.starts_at + skipped * week
        found = []
        while start < until:
            if self.repeat_until and start.date() > self.repeat_until:
                break
            if start + self.duration > since:
                found.append(start)
            start += week
        return found


class LessonRun(models.Model):
    """One occurrence of a lesson that has been opened (its Janus room and live settings)."""

    # Held lessons carry attendance: a lesson that was held, and a person who took part, cannot be deleted.
    lesson = models.ForeignKey(Lesson, verbose_name=_("урок"), on_delete=models.PROTECT, related_name="runs")
    starts_at = models.DateTimeField(_("начало по расписанию"))
    janus_room = models.BigIntegerField(_("комната Janus"), unique=True, default=new_janus_room_id)
    # The Janus instance (its API URL) holding the room now; "" until the first join places it.
    # Moved by lessons.actions.move_media when that instance dies (lessons.janus_placement).
    janus_instance = models.CharField(_("сервер Janus"), max_length=200, blank=True, default="")
    locked = models.BooleanField(_("вход закрыт"), default=False)
    camera_allowed = models.BooleanField(_("камеры учеников разрешены"), default=True)
    microphone_allowed = models.BooleanField(_("микрофоны учеников разрешены"), default=True)
    ended_at = models.DateTimeField(_("завершён"), null=True, blank=True)
    chat_room_id = models.BigIntegerField(_("чат урока"), null=True, blank=True)  # chat.Room id

    class Meta:
        verbose_name = _("проведённый урок")
        verbose_name_plural = _("проведённые уроки")
        ordering = ["-starts_at"]
        constraints = [models.UniqueConstraint(fields=["lesson", "starts_at"], name="unique_lesson_occurrence")]

    def __str__(self) -> str:
        return f"{self.lesson} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def ends_at(self) -> dt.datetime:
        return self.starts_at + self.lesson.duration


class Participant(models.Model):
    class Role(models.TextChoices):
        TEACHER = "teacher", _("Учитель")
        STUDENT = "student", _("Ученик")
        OBSERVER = "observer", _("Наблюдатель")

    run = models.ForeignKey(LessonRun, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="lesson_participations")
    role = models.CharField(_("роль"), max_length=16, choices=Role.choices)
    hand_raised = models.BooleanField(_("поднял руку"), default=False)
    talking = models.BooleanField(_("говорит"), default=False)
    muted = models.BooleanField(_("микрофон выключен учителем"), default=False)
    camera_off = models.BooleanField(_("камера выключена учителем"), default=False)
    removed = models.BooleanField(_("удалён с урока"), default=False)

    class Meta:
        verbose_name = _("участник урока")
        verbose_name_plural = _("участники урока")
        constraints = [models.UniqueConstraint(fields=["run", "user"], name="unique_run_participant")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.run}"


class Presence(models.Model):
    """One connected interval of one socket (a user with two tabs has two overlapping ones).

    While the socket is open its consumer refreshes ``seen_at`` every ``HEARTBEAT_SECONDS``; an open
    interval whose ``seen_at`` is older than ``STALE_AFTER`` belongs to a server process that died, and
    ends at ``seen_at`` for attendance.
    """

    HEARTBEAT_SECONDS = 30
    STALE_AFTER = dt.timedelta(seconds=2 * HEARTBEAT_SECONDS + 10)

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="presences")
    joined_at = models.DateTimeField(_("вошёл"))
    left_at = models.DateTimeField(_("вышел"), null=True, blank=True)
    seen_at = models.DateTimeField(_("последний признак жизни"), null=True, blank=True)
    janus_session = models.BigIntegerField(null=True, blank=True, db_index=True)
    media_up_at = models.DateTimeField(_("видеосвязь установлена"), null=True, blank=True)  # Janus "webrtcup"
    channel_name = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("присутствие")
        verbose_name_plural = _("присутствие")
        ordering = ["joined_at"]

    def __str__(self) -> str:
        return f"{self.participant}: {self.joined_at:%H:%M:%S}–{self.left_at or '…'}"

    def ended_by(self, now: dt.datetime) -> dt.datetime:
        """When this interval ends for attendance: left_at, now, or the last heartbeat of a dead process."""
        if self.left_at is not None:
            return self.left_at
        if self.seen_at is not None and now - self.seen_at > self.STALE_AFTER:
            return self.seen_at
        return now


class MediaInterval(models.Model):
    """One stretch of a presence during which Janus reported the student's media up.

    Janus's event handler sends "webrtcup" when a PeerConnection comes up and "hangup" when it goes; a
    student whose network drops media but keeps the page open accumulates page time, not media time.
    """

    presence = models.ForeignKey(Presence, on_delete=models.CASCADE, related_name="media_intervals")
    up_at = models.DateTimeField(_("связь установлена"))
    down_at = models.DateTimeField(_("связь прервана"), null=True, blank=True)

    class Meta:
        verbose_name = _("интервал видеосвязи")
        verbose_name_plural = _("интервалы видеосвязи")
        ordering = ["up_at"]

    def __str__(self) -> str:
        return f"{self.presence}: {self.up_at:%H:%M:%S}–{self.down_at or '…'}"

    def ended_by(self, now: dt.datetime) -> dt.datetime:
        """Media cannot outlast the page: an interval Janus never closed ends with its presence."""
        page_end = self.presence.ended_by(now)
        return min(self.down_at, page_end) if self.down_at is not None else page_end


def new_recording_folder() -> str:
    """A random folder name: the recording's files are found (and served) by it, never by a guessable id."""
    return secrets.token_hex(16)


class Recording(models.Model):
    """One stretch of a lesson run that Janus recorded: from the teacher's «Включить запись» to its stop (or the
    lesson's end). Janus writes raw ``.mjr`` files into ``LESSONS_RECORDING_RAW_DIR/<folder>``; afterwards they
    become ``MEDIA_ROOT/lesson-recordings/<folder>/lesson.webm`` (teacher's camera + every voice) and
    ``screen.webm`` (the shared screen, ``screen_offset_seconds`` into the lesson) — lessons.recordings."""

    class Status(models.TextChoices):
        RECORDING = "recording", _("идёт запись")
        STOPPED = "stopped", _("ждёт обработки")
        CONVERTING = "converting", _("обрабатывается")
        READY = "ready", _("готова")
        FAILED = "failed", _("не удалась")
        PURGED = "purged", _("удалена по сроку хранения")

    run = models.ForeignKey(LessonRun, verbose_name=_("урок"), on_delete=models.CASCADE, related_name="recordings")
    folder = models.CharField(max_length=32, unique=True, default=new_recording_folder)
    status = models.CharField(_("состояние"), max_length=16, choices=Status.choices, default=Status.RECORDING)
    started_at = models.DateTimeField(_("запись начата"))
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    stopped_at = models.DateTimeField(_("запись остановлена"), null=True, blank=True)
    converted_at = models.DateTimeField(_("обработана"), null=True, blank=True)
    conversion_seconds = models.FloatField(_("обработка, с"), null=True, blank=True)
    duration_seconds = models.FloatField(_("длительность, с"), null=True, blank=True)
    size_bytes = models.BigIntegerField(_("размер, байт"), default=0)
    has_screen = models.BooleanField(_("есть показ экрана"), default=False)
    screen_offset_seconds = models.FloatField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("запись урока")
        verbose_name_plural = _("записи уроков")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.run}: {self.started_at:%H:%M:%S} ({self.status})"

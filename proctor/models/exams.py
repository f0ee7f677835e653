"""Exams, the students' exam sessions and the episodes flagged during them."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import kinds
from ..policy import Policy, PolicyError

log = logging.getLogger(__name__)


def evidence_token() -> str:
    """A non-guessable name for an evidence file (128 bits)."""
    return secrets.token_urlsafe(16)


class Exam(models.Model):
    title = models.CharField(_("название"), max_length=200)
    group = models.ForeignKey(
        "school.StudyGroup", verbose_name=_("группа"), on_delete=models.PROTECT, related_name="exams"
    )
    opens_at = models.DateTimeField(_("окно открывается"))
    closes_at = models.DateTimeField(_("окно закрывается"))
    duration_minutes = models.PositiveIntegerField(_("длительность, мин"), default=45)
    policy = models.JSONField(_("правила прокторинга"), default=dict, blank=True)
    proctors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("прокторы"), related_name="proctored_exams", blank=True
    )
    lms_url = models.URLField(_("ссылка на тест в LMS"), blank=True)
    materials = models.TextField(_("материалы экзамена"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("автор"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="created_exams",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("экзамен")
        verbose_name_plural = _("экзамены")
        ordering = ["-opens_at", "title"]

    def __str__(self) -> str:
        return self.title

    def is_open(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.opens_at <= now < self.closes_at

    @property
    def duration(self) -> timedelta:
        return timedelta(minutes=self.duration_minutes)

    def vision_policy(self) -> Policy:
        """The exam's proctoring policy; the defaults (logged) if what is stored is no longer valid."""
        try:
            return Policy.from_dict(self.policy or None)
        except PolicyError:
            log.exception("exam %s has an unusable policy; using the defaults", self.pk)
            return Policy()


class ExamSession(models.Model):
    """One student's sitting of one exam, from opening the exam page to the end."""

    class State(models.TextChoices):
        WAITING_CHECK = "waiting_check", _("проверка системы")
        IDENTITY_PENDING = "identity_pending", _("проверка личности")
        RUNNING = "running", _("идёт")
        PAUSED = "paused", _("связь потеряна")
        ENDED = "ended", _("завершён")

    class Identity(models.TextChoices):
        PENDING = "pending", _("не проверена")
        VERIFIED = "verified", _("подтверждена")
        FAILED = "failed", _("не совпала")
        ADMITTED = "admitted", _("допущен проктором")

    class Verdict(models.TextChoices):
        NONE = "", _("нет решения")
        CLEAN = "clean", _("нарушений нет")
        WARNING = "warning", _("замечание")
        ANNULLED = "annulled", _("результат аннулирован")

    class EndReason(models.TextChoices):
        SUBMITTED = "submitted", _("сдан учеником")
        TIMEOUT = "timeout", _("время вышло")
        LOGOUT = "logout", _("выход из системы")
        PROCTOR = "proctor", _("завершён проктором")
        CAMERA_LOST = "camera_lost", _("камера не вернулась")
        NO_CONSENT = "no_consent", _("согласие на биометрию отозвано")

    # An exam that was sat, and a student who sat it, cannot be deleted: sessions, episodes and verdicts are
    # the record of the exam (the admin says to deactivate the student instead).
    exam = models.ForeignKey(Exam, verbose_name=_("экзамен"), on_delete=models.PROTECT, related_name="sessions")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("ученик"), on_delete=models.PROTECT, related_name="exam_sessions"
    )
    state = models.CharField(_("состояние"), max_length=20, choices=State.choices, default=State.WAITING_CHECK)
    identity = models.CharField(_("личность"), max_length=10, choices=Identity.choices, default=Identity.PENDING)
    identity_score = models.FloatField(_("сходство с эталоном"), null=True, blank=True)
    # Identity checks the student asked for (at most the policy's identity_attempts; then a proctor admits).
    identity_attempts = models.PositiveSmallIntegerField(_("попыток проверки личности"), default=0, editable=False)
    admitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(_("начат"), null=True, blank=True)
    # When the exam's materials and LMS address first reached the student (over the exam socket, only to a
    # running session with a confirmed identity): the exam's timer counts from here.
    released_at = models.DateTimeField(_("задания выданы"), null=True, blank=True)
    ended_at = models.DateTimeField(_("завершён"), null=True, blank=True)
    end_reason = models.CharField(_("причина завершения"), max_length=12, choices=EndReason.choices, blank=True)
    disconnected_at = models.DateTimeField(null=True, blank=True)
    # Which student socket owns the session: each connect takes the next epoch, and only the owner's
    # disconnect may pause it (an old tab dropping as a new one connects must not).
    connection_epoch = models.PositiveIntegerField(default=0, editable=False)
    # The media worker holding the session's camera peer and analysis (proctor.media.placement); kept while
    # that worker lives, so every socket of the session reaches the same one.
    media_worker = models.ForeignKey(
        "proctor.MediaWorker", null=True, blank=True, editable=False, on_delete=models.SET_NULL, related_name="+"
    )
    verdict = models.CharField(_("решение"), max_length=10, choices=Verdict.choices, default="", blank=True)
    verdict_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verdict_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("сеанс экзамена")
        verbose_name_plural = _("сеансы экзаменов")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["exam", "student"], name="one_session_per_student")]

    def __str__(self) -> str:
        return f"{self.exam} — {self.student}"

    @property
    def is_over(self) -> bool:
        return self.state == self.State.ENDED

    @property
    def deadline(self) -> datetime | None:
        """When the attempt times out: the tasks' first release + duration, never past the exam window.

        The timer starts with the release, not with the camera check: the tasks are the attempt.
        """
        if self.released_at is None:
            return None
        return min(self.released_at + self.exam.duration, self.exam.closes_at)

    @property
    def time_up_at(self) -> datetime:
        """When the exam's own time is up for this session: its deadline, or the exam's closing before the
        tasks were released. Until then a session interrupted by a lost connection may be resumed."""
        return self.deadline or self.exam.closes_at

    @property
    def reviewed(self) -> bool:
        return bool(self.verdict)


class Episode(models.Model):
    """A flagged stretch of an exam session (vision or browser event), with its review."""

    class Review(models.TextChoices):
        PENDING = "pending", _("не рассмотрен")
        CONFIRMED = "confirmed", _("подтверждён")
        DISMISSED = "dismissed", _("отклонён")

    session = models.ForeignKey(ExamSession, on_delete=models.CASCADE, related_name="episodes")
    kind = models.CharField(_("вид"), max_length=40)
    started_at = models.DateTimeField(_("начало"))
    ended_at = models.DateTimeField(_("конец"), null=True, blank=True)
    peak = models.FloatField(_("пик"), null=True, blank=True)  # see proctor.episodes.Episode.peak
    details = models.JSONField(default=dict, blank=True)
    evidence_token = models.CharField(max_length=32, default=evidence_token, unique=True, editable=False)
    evidence = models.CharField(_("снимок"), max_length=200, blank=True)  # path under MEDIA_ROOT
    review = models.CharField(_("проверка"), max_length=10, choices=Review.choices, default=Review.PENDING)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(_("комментарий проктора"), blank=True)
    student_comment = models.TextField(_("комментарий ученика"), blank=True)

    class Meta:
        verbose_name = _("эпизод")
        verbose_name_plural = _("эпизоды")
        ordering = ["started_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} @ {self.started_at:%H:%M:%S}"

    @property
    def label(self) -> str:
        """The kind's label in the active language; a kind proctor.kinds does not list raises UnknownKind."""
        return kinds.label(self.kind)

    @property
    def evidence_is_audio(self) -> bool:
        """The evidence is a sound clip (``speech``: WAV), not a snapshot (JPEG)."""
        return self.evidence.endswith(".wav")


@receiver(post_delete, sender=Episode)
def _delete_evidence_file(sender: type[Episode], instance: Episode, **kwargs: object) -> None:
    """The snapshot goes with its row (a deleted session, admin), after the commit; only under MEDIA_ROOT/evidence."""
    from ..reports import evidence_path

    path = evidence_path(instance)
    if path is not None:
        transaction.on_commit(lambda: path.unlink(missing_ok=True))

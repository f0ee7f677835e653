"""Retention of exam evidence and the per-student export of what is held about them."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from server.accounts import audit
from server.accounts.models import User
from server.retention import retention_period

from . import enrollment, recording
from .models import BiometricConsent, Episode, ExamSession, ReferencePhoto
from .reports import evidence_path


def purgeable_evidence(now: datetime | None = None) -> QuerySet[Episode]:
    """Episodes whose snapshot may go: older than the retention period, of a session already reviewed.

    A session without a verdict may still be judged, and its snapshots are what the reviewer judges
    by, so they stay however old they are.
    """
    cutoff = (now or timezone.now()) - retention_period("PROCTOR_EVIDENCE_RETENTION_DAYS")
    return Episode.objects.filter(started_at__lt=cutoff).exclude(evidence="").exclude(session__verdict="")


def purge_evidence(now: datetime | None = None, dry_run: bool = False) -> int:
    """Delete the evidence snapshots :func:`purgeable_evidence` names; the episode rows stay."""
    old = purgeable_evidence(now)
    if dry_run:
        return old.count()
    count = 0
    for episode in old.iterator():
        path = evidence_path(episode)
        if path is not None:
            path.unlink(missing_ok=True)
        episode.evidence = ""
        episode.save(update_fields=["evidence"])
        count += 1
    if count:
        audit.record("proctor.evidence_purged", count=count, older_than_days=settings.PROCTOR_EVIDENCE_RETENTION_DAYS)
    return count


def student_export(student: User) -> dict:
    """What the proctoring part holds about one student (images by reference, never inline).

    The attempt's recording is listed with its size; its file (``proctor:recording_file``) is linked once the
    session has been reviewed, when the student may fetch it.

    A session's episodes appear once it has been reviewed, as on the student's session page: before
    that they are flags nobody has judged yet, live during the exam, and showing them would tell the
    student what the proctor is looking at. The identity score likewise appears only once reviewed: during
    the attempt it would let the student tune a swap against the threshold.
    """
    sessions = ExamSession.objects.filter(student=student).select_related("exam").prefetch_related("episodes")
    return {
        "student": student.username,
        "consents": [
            {
                "given_at": c.given_at.isoformat(),
                "given_by": c.given_by.username if c.given_by else None,
                "text_version": c.text_version,
                "active": c.active,
            }
            for c in BiometricConsent.objects.filter(student=student).select_related("given_by")
        ],
        "reference_photos": [
            {"created_at": p.created_at.isoformat(), "has_face_embedding": bool(p.embedding)}
            for p in ReferencePhoto.objects.filter(student=student)
        ],
        "face_embedding_in_use": enrollment.reference_embedding(student) is not None,
        "exam_sessions": [
            {
                "exam": s.exam.title,
                "state": s.state,
                "identity": s.identity,
                "identity_score": s.identity_score if s.reviewed else None,
                "started_at": s.started_at.isoformat() if s.started_at else None,
                "ended_at": s.ended_at.isoformat() if s.ended_at else None,
                "end_reason": s.end_reason,
                "verdict": s.verdict,
                "reviewed": s.reviewed,
                "recording": _recording(s),
                "episodes": [
                    {
                        "kind": e.kind,
                        "started_at": e.started_at.isoformat(),
                        "ended_at": e.ended_at.isoformat() if e.ended_at else None,
                        "evidence_snapshot_held": bool(e.evidence),
                        "review": e.review,
                        "student_comment": e.student_comment,
                    }
                    for e in (s.episodes.all() if s.reviewed else ())
                ],
            }
            for s in sessions
        ],
    }


def _recording(session: ExamSession) -> dict:
    held = recording.held(session)
    reachable = session.reviewed and held["pieces"]
    return {**held, "file": reverse("proctor:recording_file", args=[session.pk]) if reachable else None}

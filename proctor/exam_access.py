"""Who may see which exam, session and episode (object-level rules for the proctoring views).

* administrators and the director see every exam;
* the exam's author and the group's teachers/curators see it (they set it);
* a proctor sees only the exams they are assigned to — an unassigned proctor sees nothing;
* a student sees only their own session, and its episodes only after review.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from server.accounts.models import Role, User
from server.school import access as school_access

from .models import Episode, Exam, ExamSession


def staff_exams(user: User) -> QuerySet[Exam]:
    """Exams the user supervises or reviews (not the ones they sit)."""
    if not user.is_authenticated:
        return Exam.objects.none()
    if school_access.reads_everything(user):
        return Exam.objects.all()
    condition = Q(pk__in=[])
    if user.has_role(Role.PROCTOR):
        condition |= Q(proctors=user)
    if user.has_role(Role.TEACHER, Role.CURATOR):
        condition |= Q(created_by=user) | Q(group__in=school_access.staff_groups(user))
    return Exam.objects.filter(condition).distinct()


def student_exams(user: User) -> QuerySet[Exam]:
    """Exams the student sits: those set for their groups."""
    if not user.is_authenticated or not user.has_role(Role.STUDENT):
        return Exam.objects.none()
    return Exam.objects.filter(group__students=user).distinct()


def can_supervise(user: User, exam: Exam) -> bool:
    """May watch live, admit, warn and end sessions: assigned proctors and administrators."""
    if not user.is_authenticated:
        return False
    if user.has_role(Role.ADMIN):
        return True
    return exam.proctors.filter(pk=user.pk).exists()


def can_review(user: User, exam: Exam) -> bool:
    """May confirm/dismiss episodes and set verdicts: supervisors and the exam's teachers."""
    if can_supervise(user, exam):
        return True
    if user.has_role(Role.DIRECTOR):
        return False  # the director reads, never decides
    return staff_exams(user).filter(pk=exam.pk).exists() and user.has_role(Role.TEACHER, Role.CURATOR)


def can_view_session(user: User, session: ExamSession) -> bool:
    if session.student_id == user.pk:
        return True
    return staff_exams(user).filter(pk=session.exam_id).exists()


def can_view_evidence(user: User, session: ExamSession) -> bool:
    """The session's evidence (snapshots, clips, the recording): staff who see the session; the student only after
    the session has been reviewed."""
    if session.student_id == user.pk:
        return session.reviewed
    return staff_exams(user).filter(pk=session.exam_id).exists()


def can_view_episode(user: User, episode: Episode) -> bool:
    return can_view_evidence(user, episode.session)

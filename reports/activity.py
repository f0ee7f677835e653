"""Activity every two weeks (seed 004, «Сетевой город»): per person and per role, with the inactive marked.

For each person: logins (the audit log's ``auth.login``), lessons attended (runs of a lesson where they had
a presence), chat messages written (not deleted), exams taken (sessions started). A person with none of
these in the period is inactive: the curator calls them or their parents.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from chat.models import Message
from lessons.models import Participant
from proctor.models import ExamSession
from server.accounts.models import AuditEvent, Role, User
from server.school.models import StudyGroup

from .periods import Period

ROLE_ORDER = [Role.STUDENT, Role.PARENT, Role.TEACHER, Role.CURATOR, Role.PROCTOR, Role.DIRECTOR, Role.ADMIN]


@dataclass(frozen=True)
class ActivityRow:
    person: User
    role: str  # the person's main role in this report (the first of ROLE_ORDER they hold)
    logins: int
    lessons: int
    messages: int
    exams: int

    @property
    def inactive(self) -> bool:
        return not (self.logins or self.lessons or self.messages or self.exams)


@dataclass(frozen=True)
class RoleTotals:
    role: str
    people: int
    inactive: int
    logins: int
    lessons: int
    messages: int
    exams: int


def people_of(group: StudyGroup | None) -> QuerySet[User]:
    """A group's students, their parents, its teachers and curators; or everyone with a role in the school."""
    if group is None:
        return User.objects.filter(is_active=True, role_set__isnull=False).distinct()
    condition = (
        Q(study_groups=group)
        | Q(child_links__child__study_groups=group)
        | Q(taught_groups=group)
        | Q(curated_groups=group)
    )
    return User.objects.filter(condition, is_active=True).distinct()


def _counts(pairs: Iterable[tuple[int, int]]) -> Counter[int]:
    """(person id, count) pairs from a grouped query as a Counter (missing people count 0)."""
    return Counter(dict(pairs))


def activity(group: StudyGroup | None, period: Period) -> list[ActivityRow]:
    """One row per person, sorted by role then name."""
    people = list(people_of(group).prefetch_related("role_set"))
    ids = [p.pk for p in people]
    since, until = period.since, period.until
    logins = _counts(
        AuditEvent.objects.filter(kind="auth.login", subject_id__in=ids, at__gte=since, at__lt=until)
        .values("subject_id")
        .annotate(n=Count("id"))
        .values_list("subject_id", "n")
    )
    lessons = _counts(
        Participant.objects.filter(
            user_id__in=ids, run__starts_at__gte=since, run__starts_at__lt=until, presences__isnull=False
        )
        .values("user_id")
        .annotate(n=Count("run", distinct=True))
        .values_list("user_id", "n")
    )
    messages = _counts(
        Message.objects.filter(author_id__in=ids, deleted_at__isnull=True, created_at__gte=since, created_at__lt=until)
        .values("author_id")
        .annotate(n=Count("id"))
        .values_list("author_id", "n")
    )
    exams = _counts(
        ExamSession.objects.filter(student_id__in=ids, started_at__gte=since, started_at__lt=until)
        .values("student_id")
        .annotate(n=Count("id"))
        .values_list("student_id", "n")
    )
    rows = [ActivityRow(p, main_role(p), logins[p.pk], lessons[p.pk], messages[p.pk], exams[p.pk]) for p in people]
    return sorted(rows, key=lambda r: (ROLE_ORDER.index(Role(r.role)), r.person.last_name, r.person.first_name))


def main_role(person: User) -> str:
    held = {r.role for r in person.role_set.all()}
    return next((role for role in ROLE_ORDER if role in held), Role.STUDENT)


def by_role(rows: list[ActivityRow]) -> list[RoleTotals]:
    totals = []
    for role in ROLE_ORDER:
        own = [r for r in rows if r.role == role]
        if own:
            totals.append(
                RoleTotals(
                    role=role,
                    people=len(own),
                    inactive=sum(1 for r in own if r.inactive),
                    logins=sum(r.logins for r in own),
                    lessons=sum(r.lessons for r in own),
                    messages=sum(r.messages for r in own),
                    exams=sum(r.exams for r in own),
                )
            )
    return totals

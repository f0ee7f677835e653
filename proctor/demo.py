"""Demo proctoring data for `make run`: consent and reference photos, and an open exam.

Reference photos come from ../shared/testdata when it is present (the same faces the
test videos show, so a fake webcam playing those clips passes the identity check); a
student whose photo is missing takes one in the exam flow instead.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from server.accounts.models import User
from server.school.models import StudyGroup

from . import enrollment
from .models import Exam, ReferencePhoto

TESTDATA = Path(settings.BASE_DIR).parent / "shared" / "testdata"
DEMO_REFERENCES = {
    "student": "video/absent_return/reference.jpg",
    "student2": "video/second_person/reference.jpg",
    "student3": "video/other_person/reference.jpg",
}
DEMO_EXAM_TITLE = "Контрольная работа по алгебре (демо)"


def seed_reference_photos() -> int:
    """Record consent and enroll the demo students' reference photos; return how many were enrolled."""
    enrolled = 0
    for username, relative in DEMO_REFERENCES.items():
        student = User.objects.filter(username=username).first()
        source = TESTDATA / relative
        if student is None or not source.is_file() or ReferencePhoto.objects.filter(student=student).exists():
            continue
        if not enrollment.has_consent(student):
            enrollment.record_consent(student)
        if enrollment.enroll(student, source).photo is not None:
            enrolled += 1
    return enrolled


@transaction.atomic
def seed_exam(now: dt.datetime | None = None) -> bool:
    """An exam of 9А open for a month from today, watched by the demo proctor."""
    group = StudyGroup.objects.filter(name="9А").first()
    proctor = User.objects.filter(username="proctor").first()
    if group is None or proctor is None or Exam.objects.filter(title=DEMO_EXAM_TITLE).exists():
        return False
    today = timezone.localtime(now or timezone.now()).replace(hour=0, minute=0, second=0, microsecond=0)
    exam = Exam.objects.create(
        title=DEMO_EXAM_TITLE,
        group=group,
        opens_at=today,
        closes_at=today + dt.timedelta(days=30),
        duration_minutes=45,
        materials="1. Решите уравнение x² − 5x + 6 = 0.\n2. Упростите выражение (a + b)² − (a − b)².",
        created_by=User.objects.filter(username="teacher").first(),
    )
    exam.proctors.add(proctor)
    return True


def seed() -> str:
    photos = seed_reference_photos()
    exam = seed_exam()
    return f"{photos} reference photo(s) enrolled, {'1 exam' if exam else 'no exam'} created"

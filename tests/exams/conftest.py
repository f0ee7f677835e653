"""Fixtures for proctored-exam tests: an open exam in the live database, the student's reference photo."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

CREATE_EXAM = """
import json
from datetime import timedelta
from pathlib import Path
from django.utils import timezone
from server.accounts.models import User
from server.school.models import StudyGroup
from proctor import enrollment
from proctor.models import BiometricConsent, Exam, ReferencePhoto
args = json.loads({args!r})
now = timezone.now()
exam = Exam.objects.create(
    title=args["title"], group=StudyGroup.objects.get(name="9А"), opens_at=now - timedelta(minutes=5),
    closes_at=now + timedelta(hours=2), duration_minutes=args["minutes"], policy=args["policy"],
    materials="Задание 1. Решите уравнение x + 2 = 5.",
    created_by=User.objects.get(username="teacher"))
exam.proctors.add(User.objects.get(username="proctor"))
student = User.objects.get(username=args["student"])
BiometricConsent.objects.filter(student=student).delete()
for photo in ReferencePhoto.objects.filter(student=student):
    photo.delete()
if args["reference"]:  # the school uploads the photo (the student consented before)
    enrollment.record_consent(student)
    assert enrollment.enroll(student, Path(args["reference"])).photo is not None
print("EXAM", exam.pk)
"""


@pytest.fixture
def make_exam(live_env) -> Callable[..., int]:
    """Create an open exam for group 9А (proctor assigned); reset the student's consent and reference.

    With ``reference`` the school has uploaded that photo (and the student consented); without it the
    student consents and takes the photo on the exam page.
    """

    def make(
        reference: Path | None, student: str = "student", minutes: int = 30, policy: dict | None = None, title="Алгебра"
    ) -> int:
        args = {
            "title": title,
            "minutes": minutes,
            "policy": policy or {},
            "student": student,
            "reference": str(reference) if reference else "",
        }
        output = live_env.shell(CREATE_EXAM.format(args=json.dumps(args)))
        return int(output.split("EXAM")[-1].split()[0])

    return make

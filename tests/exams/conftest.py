"""Fixtures for proctored-exam tests: an open exam in the live database, the student's reference photo."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

CREATE_EXAM = """
import json, shutil
from datetime import timedelta
from pathlib import Path
from django.conf import settings
from django.utils import timezone
from server.accounts.models import AuditEvent, User
from server.school.models import StudyGroup
from proctor.models import Exam
args = json.loads({args!r})
now = timezone.now()
exam = Exam.objects.create(
    title=args["title"], group=StudyGroup.objects.get(name="9А"), opens_at=now - timedelta(minutes=5),
    closes_at=now + timedelta(hours=2), duration_minutes=args["minutes"], policy=args["policy"],
    materials="Задание 1. Решите уравнение x + 2 = 5.",
    created_by=User.objects.get(username="teacher"))
exam.proctors.add(User.objects.get(username="proctor"))
student = User.objects.get(username=args["student"])
AuditEvent.objects.filter(kind="proctor.biometric_consent", actor=student).delete()
references = Path(settings.MEDIA_ROOT) / "references" / str(student.pk)
shutil.rmtree(references, ignore_errors=True)
if args["reference"]:
    references.mkdir(parents=True)
    shutil.copy(args["reference"], references / "school-upload.jpg")
print("EXAM", exam.pk)
"""


@pytest.fixture
def make_exam(live_env) -> Callable[..., int]:
    """Create an open exam for group 9А (proctor assigned); reset the student's consent and reference."""

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

"""Fixtures for proctored-exam tests: an open exam in the live database, the student's reference photo,
separate media-worker processes (the scaled layout)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.paths import REPO_ROOT
from tests.support.servers import LiveEnvironment, stop

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


@dataclass
class MediaWorkerProcess:
    index: int
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> float:
        """SIGTERM; the seconds it took to exit."""
        return stop(self.process)

    @classmethod
    def start(cls, live: LiveEnvironment, index: int, env: dict[str, str], timeout: float = 30.0) -> MediaWorkerProcess:
        log_path = live.var_dir / f"media-worker-{index}-{time.monotonic_ns()}.log"
        process = subprocess.Popen(
            [sys.executable, str(REPO_ROOT / "manage.py"), "media_worker", "--index", str(index)],
            env={**live.env, **env},
            cwd=REPO_ROOT,
            stdout=log_path.open("w"),
            stderr=subprocess.STDOUT,
        )
        worker = cls(index, process, log_path)
        deadline = time.monotonic() + timeout
        while "media worker listening on" not in worker.log():
            if process.poll() is not None or time.monotonic() > deadline:
                worker.stop()
                raise RuntimeError(f"media worker {index} did not start:\n{worker.log()[-3000:]}")
            time.sleep(0.1)
        return worker


@pytest.fixture
def media_worker_factory(live_env: LiveEnvironment) -> Iterator[Callable[..., MediaWorkerProcess]]:
    """Start ``manage.py media_worker --index I`` processes (env: REDIS_URL, RTC_MEDIA_WORKERS...); stopped after."""
    started: list[MediaWorkerProcess] = []

    def start(index: int, env: dict[str, str]) -> MediaWorkerProcess:
        worker = MediaWorkerProcess.start(live_env, index, env)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()

"""Fixtures for proctored-exam tests: an ended exam session with an evidence snapshot in the test database
(``world``), an open exam in the live database, the student's reference photo, separate media-worker processes
(the scaled layout)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from proctor.models import Episode, Exam, ExamSession
from server.accounts.models import Role, User, UserRole
from server.school import demo
from server.school.models import StudyGroup
from tests.support import setups
from tests.support.paths import REPO_ROOT
from tests.support.servers import LiveEnvironment, stop, stop_together


@pytest.fixture
def world(db, media_root):
    """The demo school, a second proctor, an exam with one session and one evidence snapshot."""
    demo.seed()
    users = {u.username: u for u in User.objects.all()}
    users["proctor2"] = User.objects.create_user("proctor2", password="x")
    UserRole.objects.create(user=users["proctor2"], role=Role.PROCTOR)
    now = timezone.now()
    exam = Exam.objects.create(
        title="Физика",
        group=StudyGroup.objects.get(name="9А"),
        opens_at=now - timedelta(minutes=5),
        closes_at=now + timedelta(hours=1),
        created_by=users["teacher"],
    )
    exam.proctors.add(users["proctor"])
    session = ExamSession.objects.create(exam=exam, student=users["student"], state="ended")
    episode = Episode.objects.create(session=session, kind="multiple_faces", started_at=now, ended_at=now)
    evidence = media_root / "evidence" / str(session.pk) / f"{episode.evidence_token}.jpg"
    evidence.parent.mkdir(parents=True)
    evidence.write_bytes(b"\xff\xd8\xff\xe0 jpeg")
    episode.evidence = str(evidence.relative_to(media_root))
    episode.save()
    return {"users": users, "exam": exam, "session": session, "episode": episode}


@pytest.fixture
def make_exam(live_env) -> Callable[..., int]:
    """Create an open exam for group 9А (proctor assigned); reset the student's consent and reference.

    With ``reference`` the school has uploaded that photo (and the student's parent consented); without it
    the student takes the photo from the camera on the exam page (after consent, unless ``consent=False``).
    """

    def make(
        reference: Path | None,
        student: str = "student",
        minutes: int = 30,
        policy: dict | None = None,
        title="Алгебра",
        consent: bool = True,
    ) -> int:
        return live_env.call(
            setups.open_exam,
            title=title,
            minutes=minutes,
            policy=policy or {},
            student=student,
            reference=str(reference) if reference else "",
            consent=consent,
        )

    return make


@dataclass
class MediaWorkerProcess:
    name: str
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> float:
        """SIGTERM; the seconds it took to exit."""
        return stop(self.process)

    @classmethod
    def launch(cls, live: LiveEnvironment, name: str, env: dict[str, str]) -> MediaWorkerProcess:
        """The process started, not yet listening: :meth:`wait_ready` before using it."""
        log_path = live.var_dir / f"media-worker-{name}-{time.monotonic_ns()}.log"
        process = subprocess.Popen(
            [sys.executable, str(REPO_ROOT / "manage.py"), "media_worker", "--name", name],
            env={**live.env, **env},
            cwd=REPO_ROOT,
            stdout=log_path.open("w"),
            stderr=subprocess.STDOUT,
        )
        return cls(name, process, log_path)

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while " listening on proctor.media." not in self.log():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"media worker {self.name} did not start:\n{self.log()[-3000:]}")
            time.sleep(0.1)


class MediaWorkerFactory:
    """``factory(name, env)``: a ``manage.py media_worker --name NAME`` process (env: REDIS_URL...);
    ``factory.several(names, env)``: one per name, started side by side. All are stopped after the test."""

    def __init__(self, live: LiveEnvironment) -> None:
        self.live = live
        self.started: list[MediaWorkerProcess] = []

    def __call__(self, name: str, env: dict[str, str]) -> MediaWorkerProcess:
        return self.several([name], env)[name]

    def several(self, names: list[str], env: dict[str, str]) -> dict[str, MediaWorkerProcess]:
        launched = {name: MediaWorkerProcess.launch(self.live, name, env) for name in names}
        self.started.extend(launched.values())
        for worker in launched.values():
            worker.wait_ready()
        return launched

    def stop_all(self) -> None:
        stop_together([worker.process for worker in self.started])


@pytest.fixture
def media_worker_factory(live_env: LiveEnvironment) -> Iterator[MediaWorkerFactory]:
    factory = MediaWorkerFactory(live_env)
    yield factory
    factory.stop_all()

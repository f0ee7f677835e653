"""The fuzz target (a private daphne, or `make cluster` with FUZZ_TARGET=cluster) and its subjects.

FUZZ_EXAMPLES sets Hypothesis' examples per fuzz test (default: the `make test` budget). Examples are
derandomized, so a run is reproducible; the target's database is fresh each run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, settings

from tests.support import setups

from .sockets import FuzzedSocket
from .target import Target, cluster_target, local_target

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
settings.register_profile(
    "fuzz",
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)


@pytest.fixture(scope="session")
def fuzz_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    if os.environ.get("FUZZ_TARGET", "local") == "cluster":
        with cluster_target() as target:
            yield target
    else:
        with local_target(tmp_path_factory.mktemp("fuzz")) as target:
            yield target


@dataclass
class Subjects:
    """What the sockets are opened on: an exam the proctor watches, a student's exam session, a lesson now."""

    exam: int
    session: int
    lesson: int


@pytest.fixture(scope="session")
def subjects(fuzz_target: Target) -> Subjects:
    exam = fuzz_target.call(setups.exam_proctored_by, title="Фаззинг", proctor="proctor")
    student_exam = fuzz_target.call(
        setups.open_exam, title="Фаззинг", minutes=60, policy={}, student="student2", reference="", consent=False
    )
    status, body = fuzz_target.session("student2").get(f"/proctor/exams/{student_exam}/take/")
    assert status == 200, body[:300]
    config = body.decode().split('id="exam-config" type="application/json">')[1].split("</script>")[0]
    lesson = fuzz_target.call(setups.lesson_now, teacher="teacher")
    return Subjects(exam, json.loads(config)["session"], lesson)


@pytest.fixture(scope="session")
def open_sockets(fuzz_target: Target, subjects: Subjects) -> Iterator[dict[str, FuzzedSocket]]:
    """One socket per protocol, each as the user it is for."""
    sockets = {
        "chat": FuzzedSocket(fuzz_target.session("teacher2"), "/ws/chat/"),
        "notifications": FuzzedSocket(fuzz_target.session("parent"), "/ws/notifications/"),
        "dashboard": FuzzedSocket(fuzz_target.session("proctor"), f"/ws/proctor/exams/{subjects.exam}/"),
        "exam": FuzzedSocket(fuzz_target.session("student2"), f"/ws/rtc/sessions/{subjects.session}/"),
        "lesson": FuzzedSocket(fuzz_target.session("teacher"), f"/ws/lessons/{subjects.lesson}/"),
    }
    yield sockets
    for socket in sockets.values():
        socket.close()

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
from tests.support.client import Session

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
def fuzz_target(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    """The cluster, or a daphne of its own on SQLite (on PostgreSQL in `make test`'s PostgreSQL pass)."""
    if os.environ.get("FUZZ_TARGET", "local") == "cluster":
        with cluster_target() as target:
            yield target
        return
    database_url = None
    if request.config.getoption("database") == "postgres":
        database_url = request.getfixturevalue("postgres_server").create_database("fuzz")
    with local_target(tmp_path_factory.mktemp("fuzz"), database_url) as target:
        yield target


@dataclass
class Subjects:
    """What the sockets are opened on: an exam the proctor watches, a student's exam session, a lesson now."""

    exam: int
    session: int
    lesson: int


ROLES = ("admin", "director", "curator", "teacher", "proctor", "student", "parent")  # one demo login each
SOCKET_USERS = ("teacher", "teacher2", "parent", "proctor", "student2")


@pytest.fixture(scope="session")
def sessions(fuzz_target: Target) -> dict[str, Session]:
    """A logged-in session per demo login the fuzzers use (all made before any fuzzed login attempt can lock
    one out), and ``anonymous`` (with a CSRF cookie)."""
    logged_in = {username: fuzz_target.session(username) for username in sorted({*ROLES, *SOCKET_USERS})}
    anonymous = Session(fuzz_target.base_url)
    anonymous.get("/accounts/login/")
    return {**logged_in, "anonymous": anonymous}


@pytest.fixture(scope="session")
def subjects(fuzz_target: Target, sessions: dict[str, Session]) -> Subjects:
    exam = fuzz_target.call(setups.exam_proctored_by, title="Фаззинг", proctor="proctor")
    student_exam = fuzz_target.call(
        setups.open_exam, title="Фаззинг", minutes=60, policy={}, student="student2", reference="", consent=False
    )
    status, body = sessions["student2"].get(f"/proctor/exams/{student_exam}/take/")
    assert status == 200, body[:300]
    config = body.decode().split('id="exam-config" type="application/json">')[1].split("</script>")[0]
    lesson = fuzz_target.call(setups.lesson_now, teacher="teacher")
    return Subjects(exam, json.loads(config)["session"], lesson)


@pytest.fixture(scope="session")
def open_sockets(sessions: dict[str, Session], subjects: Subjects) -> Iterator[dict[str, FuzzedSocket]]:
    """One socket per protocol, each as the user it is for."""
    sockets = {
        "chat": FuzzedSocket(sessions["teacher2"], "/ws/chat/"),
        "notifications": FuzzedSocket(sessions["parent"], "/ws/notifications/"),
        "dashboard": FuzzedSocket(sessions["proctor"], f"/ws/proctor/exams/{subjects.exam}/"),
        "exam": FuzzedSocket(sessions["student2"], f"/ws/rtc/sessions/{subjects.session}/"),
        "lesson": FuzzedSocket(sessions["teacher"], f"/ws/lessons/{subjects.lesson}/"),
    }
    yield sockets
    for socket in sockets.values():
        socket.close()

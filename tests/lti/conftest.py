"""Fixtures of the LTI tests: a running test platform registered with the tool, and the launch handshake."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tests.support.lti_platform import TestPlatform


def register(platform: TestPlatform, **changes: Any) -> Any:
    """Register the platform in the tool's database, as an administrator does in the admin."""
    from lti.models import Deployment, Platform

    data = platform.registration()
    deployment = data.pop("deployment_id")
    registered = Platform.objects.create(name="Moodle " + platform.client_id, **{**data, **changes})
    Deployment.objects.create(platform=registered, deployment_id=deployment)
    return registered


@pytest.fixture
def lms(db) -> Iterator[TestPlatform]:
    """A started test platform, registered with the tool, that trusts the tool's current keys."""
    from lti import keys

    platform = TestPlatform().start()
    platform.registered = register(platform)
    platform.tool_key_set = keys.key_set()
    yield platform
    platform.stop()


def launch(client: Client, platform: TestPlatform, claims: dict[str, Any], **signing: Any) -> Any:
    """The whole handshake: login initiation → the platform signs for the tool's redirect → the launch POST."""
    hint = platform.prepare(claims)
    login = client.get("/lti/login/", platform.login_parameters(hint))
    assert login.status_code == 302, login.content.decode()[:500]
    answer = platform.sign_for_redirect(login["Location"], **signing)
    return client.post("/lti/launch/", {"id_token": answer["id_token"], "state": answer["state"]})


@pytest.fixture
def launched() -> Callable[..., Any]:
    return launch


def placed_exam(platform: TestPlatform, lms_url: str = "https://lms.example/mod/quiz/view.php?id=7", **placement: Any):
    """An exam placed in the platform's course (as a Deep Linking round trip leaves it)."""
    from lti import people
    from lti.models import Placement, Platform
    from proctor.models import Exam

    registered = Platform.objects.get(issuer=platform.issuer, client_id=platform.client_id)
    course = people.course(registered, {"id": platform.context_id, "title": "Физика 101"})
    now = timezone.now()
    exam = Exam.objects.create(
        title="Контрольная по физике",
        group=course.group,
        opens_at=now - timedelta(minutes=5),
        closes_at=now + timedelta(hours=1),
        lms_url=lms_url,
    )
    return Placement.objects.create(course=course, exam=exam, **placement)

"""Every HTML page carries the Content-Security-Policy and holds no inline script or style for it to block:
each main page of each role is parsed; HSTS is sent only behind the TLS proxy."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.utils import timezone

from lessons.models import Lesson
from proctor.models import Episode, Exam, ExamSession
from server.csp import HEADER
from server.school.models import StudyGroup
from tests.support.paths import REPO_ROOT
from web.navigation import entries_for

LMS = "https://lms.example.org"
DATA_SCRIPT_TYPES = {"application/json"}  # json_script blocks: data, never executed


class InlineCode(HTMLParser):
    """Collects what a strict policy would block: inline script code, on… handlers, javascript: URLs, style."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.in_inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script" and "src" not in attributes and attributes.get("type") not in DATA_SCRIPT_TYPES:
            self.in_inline_script = True
        if tag == "style":
            self.found.append("<style> element")
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                self.found.append(f"<{tag} {name}={value!r}>")
            if name in {"href", "src", "action"} and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value!r}>")

    def handle_data(self, data: str) -> None:
        if self.in_inline_script and data.strip():
            self.found.append(f"inline <script>: {data.strip()[:80]!r}")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self.in_inline_script = False


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


@pytest.fixture
def pages(school) -> dict[str, list[str]]:
    """The pages to check, by user: home and every menu entry, plus the pages behind them."""
    now = timezone.now()
    group = StudyGroup.objects.get(name="9А")
    exam = Exam.objects.create(
        title="Алгебра",
        group=group,
        opens_at=now - timedelta(minutes=5),
        closes_at=now + timedelta(hours=1),
        created_by=school["teacher"],
        lms_url=f"{LMS}/test/1",
    )
    exam.proctors.add(school["proctor"])
    done = ExamSession.objects.create(exam=exam, student=school["student2"], state="ended")
    Episode.objects.create(session=done, kind="no_face", started_at=now, ended_at=now)
    lesson = Lesson.objects.create(
        title="Физика", group=group, teacher=school["teacher"], starts_at=now, duration_minutes=45
    )
    by_user = {username: ["/", *(entry["href"] for entry in entries_for(user))] for username, user in school.items()}
    by_user["student"] += [f"/proctor/exams/{exam.pk}/take/", f"/lessons/{lesson.pk}/"]
    by_user["teacher"] += [f"/lessons/{lesson.pk}/"]
    by_user["proctor"] += [
        f"/proctor/exams/{exam.pk}/dashboard/",
        f"/proctor/exams/{exam.pk}/report/",
        f"/proctor/sessions/{done.pk}/",
    ]
    by_user["admin"] += ["/admin/", "/admin/accounts/user/", f"/admin/accounts/user/{school['student'].pk}/change/"]
    return by_user


def test_every_main_page_of_every_role_has_the_policy_and_no_inline_code(pages, school):
    anonymous = Client().get("/accounts/login/")
    checked = {("anonymous", "/accounts/login/"): anonymous}
    for username, urls in pages.items():
        client = Client()
        client.force_login(school[username])
        for url in urls:
            checked[(username, url)] = client.get(url)
    problems = {}
    for (username, url), response in checked.items():
        assert response.status_code == 200, (username, url, response.status_code)
        policy = response.get(HEADER, "")
        if "script-src 'self';" not in policy or "unsafe" in policy:
            problems[(username, url)] = f"policy: {policy!r}"
        elif found := inline_code(response.content.decode()):
            problems[(username, url)] = found
    assert problems == {}
    assert len(checked) > 40  # every role's menu was walked


def test_the_exam_page_may_frame_its_lms_and_nothing_else(pages, school):
    client = Client()
    client.force_login(school["student"])
    take = next(url for url in pages["student"] if url.endswith("/take/"))
    policy = dict(part.split(" ", 1) for part in client.get(take)[HEADER].split("; "))
    assert policy["frame-src"] == f"'self' {LMS}"
    assert policy["script-src"] == "'self'"
    assert Client().get("/accounts/login/")[HEADER].count(LMS) == 0


def test_files_and_json_carry_no_policy(client_for):
    assert HEADER not in client_for("student").get("/jsi18n/")


def _settings_with(env: dict[str, str]) -> str:
    code = "from server import settings; print(settings.SECURE_HSTS_SECONDS)"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_hsts_only_behind_the_tls_proxy(settings, client_for):
    base = {k: v for k, v in os.environ.items() if k != "BEHIND_TLS_PROXY"}
    assert _settings_with(base) == "0"
    seconds = int(_settings_with({**base, "BEHIND_TLS_PROXY": "1"}))
    assert seconds >= 180 * 24 * 3600

    settings.SECURE_HSTS_SECONDS = seconds
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    client = client_for("student")
    over_tls = client.get("/", headers={"X-Forwarded-Proto": "https"})
    assert over_tls["Strict-Transport-Security"] == f"max-age={seconds}"
    assert "Strict-Transport-Security" not in client.get("/")

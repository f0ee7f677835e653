"""A production start (DEBUG off, a real host name) needs a SECRET_KEY from the environment and refuses demo
logins with their published passwords; demo data exists only where the demo was asked for; the compose file
requires SECRET_KEY and lets Janus post its events."""

from __future__ import annotations

import base64
import io
import os
import re
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import Client

from server import startup
from server.accounts.models import User
from server.run import accept_host
from tests.support.paths import REPO_ROOT

COMPOSE = (REPO_ROOT / "docker-compose.yml").read_text()
ENV_FILE = {"SITE_HOST": "school.example", "JANUS_HOST_IP": "10.0.0.2"}


def compose_value(name: str) -> str:
    """The value the app services get for ``name``, with .env variables substituted."""
    raw = re.search(rf"^    {name}: (.+)$", COMPOSE, re.M).group(1).split("  #")[0].strip()
    return re.sub(r"\$\{(\w+)\}", lambda m: ENV_FILE[m.group(1)], raw)


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["school.example", "127.0.0.1"]
    settings.SECRET_KEY_FROM_ENVIRONMENT = True


def test_a_local_start_refuses_nothing(school, settings):
    settings.DEBUG = False
    settings.SECRET_KEY_FROM_ENVIRONMENT = False
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    assert startup.production_problems() == []


def test_a_production_start_refuses_demo_passwords_until_they_are_disabled(school, production, settings):
    school["teacher"].set_password("a real one")
    school["teacher"].save()
    with pytest.raises(ImproperlyConfigured) as refused:
        startup.refuse_unsafe_production_start()
    demo = "admin, curator, curator2, director, parent, parent2, proctor, student, student2, student3, teacher2"
    assert f"demo logins with their published passwords are active: {demo};" in str(refused.value)
    assert [message.id for message in startup.check_production_start()] == ["classroom.E001"]

    out = io.StringIO()
    call_command("disable_demo_logins", stdout=out)
    assert out.getvalue().strip() == f"disabled 11 demo login(s): {demo}"
    assert startup.production_problems() == []
    assert User.objects.get(username="teacher").is_active  # its own password: untouched
    assert not User.objects.get(username="admin").is_active

    settings.SECRET_KEY_FROM_ENVIRONMENT = False
    [problem] = startup.production_problems()
    assert problem.startswith("SECRET_KEY is not set: set it in the environment (the same value for every process)")


def test_daphne_refuses_a_production_start_with_demo_passwords(live_env):
    env = {**live_env.env, "ALLOWED_HOSTS": "school.example", "SECRET_KEY": "x" * 50, "DEBUG": ""}
    started = subprocess.run(
        [sys.executable, "-c", "import server.asgi"],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert started.returncode != 0
    assert "refusing a production start: demo logins with their published passwords are active: admin," in (
        started.stderr
    )


def test_the_compose_file_requires_secret_key_everywhere_it_is_set():
    entries = re.findall(r"^\s+SECRET_KEY: (.+)$", COMPOSE, re.M)
    assert len(entries) == 2  # the app services and the media workers
    assert all(entry.startswith("${SECRET_KEY:?") for entry in entries)


def test_janus_event_posts_are_accepted_by_the_compose_settings(school, production, settings):
    settings.ALLOWED_HOSTS = compose_value("ALLOWED_HOSTS").split(",")
    settings.JANUS_API_SECRET = "s3cret"
    backend = re.search(r"JANUS_EVENT_BACKEND: http://\$\{JANUS_HOST_IP\}:(\d+)(/\S+)", COMPOSE)
    host = f"{ENV_FILE['JANUS_HOST_IP']}:{backend.group(1)}"
    reply = Client().post(
        backend.group(2),
        b"[]",
        content_type="application/json",
        HTTP_HOST=host,
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"janus:s3cret").decode(),
    )
    assert reply.status_code == 204


def test_the_embedded_janus_posts_to_a_host_django_accepts(monkeypatch):
    monkeypatch.setenv("ALLOWED_HOSTS", "school.example")
    accept_host("127.0.0.1")
    accept_host("127.0.0.1")
    assert os.environ["ALLOWED_HOSTS"] == "school.example,127.0.0.1"


def test_only_make_run_creates_the_demo_school():
    setup = (REPO_ROOT / "scripts" / "setup.sh").read_text()
    assert "seed_demo" not in setup
    dry_run = subprocess.run(
        ["make", "-n", "run", "DEMO=0"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "seed_demo" in dry_run  # only inside the DEMO condition
    assert 'if [ "0" != 0 ]; then' in dry_run

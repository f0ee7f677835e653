"""Shared fixtures: real redis-server, live daphne processes, headless Chromium.

* ``school`` – the demo school in the in-process test database, users by login.
* ``client_for(user)`` – a Django test client logged in as that user (a User or a login).
* ``redis_server`` – a redis-server on a free loopback port for the session.
* ``live_env`` – a private VAR_DIR with a migrated database (SQLite, or PostgreSQL with ``--database=postgres``)
  and the demo school; set-ups run in it as ``live_env.call(setups.<function>, ...)`` (tests/support/setups.py).
* ``postgres_server`` – a PostgreSQL server in a temporary folder for the session (tests/support/postgres.py).

``--database=postgres`` (or TEST_DATABASE=postgres) runs the session on PostgreSQL: the in-process test database,
``live_env`` and the tests marked ``postgres`` (skipped otherwise); only those and the tests on the in-process
database are collected, without live servers (daphne, Janus, Chromium). `make test` runs this pass after the SQLite one.
* ``daphne_factory(redis_url=None, extra_env=None)`` – start daphne processes on that database
  (``daphne_factory.several(n, ...)``: n of them side by side); all are stopped at the end of the test.
* ``daphne_server`` – one daphne on the in-memory channel layer, shared by the session.
* ``browser_factory(fake_video=None)`` / ``browser`` – Playwright Chromium (Debian binary).
* ``private_network`` – the address of the private network namespace; media tests need it.
* ``janus_server`` – a Janus (VideoRoom) with a generated config; ``janus_server.env`` goes to daphne_factory.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from django.test import Client

from tests.support.browser import launch_args, require_chromium
from tests.support.janus import JanusServer
from tests.support.paths import ARTIFACTS
from tests.support.postgres import PostgresServer
from tests.support.servers import DaphneFactory, DaphneServer, LiveEnvironment, RedisServer, stop

# The PostgreSQL pass: tests on the in-process test database, without the slow live servers (their database
# code is the same; the PostgreSQL-only tests marked ``postgres`` run their own daphne processes on it).
IN_PROCESS_DATABASE = {"db", "transactional_db", "school", "client_for"}
LIVE_SERVERS = {"live_env", "daphne_server", "daphne_factory", "janus_server", "browser", "browser_factory"}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--database",
        choices=("sqlite", "postgres"),
        default=os.environ.get("TEST_DATABASE", "sqlite"),
        help="the database the tests run on (default sqlite; postgres starts a PostgreSQL server for the session)",
    )


def on_postgres(config: pytest.Config) -> bool:
    return config.getoption("database") == "postgres"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The PostgreSQL pass keeps the tests that touch the database; the SQLite pass leaves out PostgreSQL-only ones."""
    if not on_postgres(config):  # the PostgreSQL-only tests run in the other pass: deselected here, not skipped
        postgres_only = [item for item in items if item.get_closest_marker("postgres")]
        if postgres_only:
            config.hook.pytest_deselected(items=postgres_only)
            items[:] = [item for item in items if not item.get_closest_marker("postgres")]
        return
    kept, dropped = [], []
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        in_process = bool(IN_PROCESS_DATABASE & fixtures) or item.get_closest_marker("django_db") is not None
        live = bool(LIVE_SERVERS & fixtures) or any(item.iter_markers("browser")) or any(item.iter_markers("media"))
        wanted = item.get_closest_marker("postgres") is not None or (in_process and not live)
        (kept if wanted else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A selection without database tests (``make test PYTEST_ARGS=<browser tests>``) leaves the PostgreSQL pass
    nothing to run: that is a success, not pytest's "no tests collected" failure."""
    if on_postgres(session.config) and exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
        session.exitstatus = pytest.ExitCode.OK


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(request: pytest.FixtureRequest, django_db_modify_db_settings_parallel_suffix: None):
    """With ``--database=postgres`` the test database is created on the session's PostgreSQL server."""
    if on_postgres(request.config):
        from tests.support.postgres import use_database

        use_database(request.getfixturevalue("postgres_server").url())


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    """In-process tests create many users; the production hasher is deliberately slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def default_language() -> Iterator[None]:
    """Each test starts in the site's language: a request in English leaves English active in the thread
    (LocaleMiddleware activates, nothing deactivates), and a later test would read translated labels."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Uploads made by in-process tests go to a temporary folder, never to var/media."""
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def keep_the_test_transaction(monkeypatch: pytest.MonkeyPatch) -> None:
    """Channels' ``database_sync_to_async`` closes "old" connections around each call, and a connection inside
    a test's transaction looks old (autocommit off): on PostgreSQL that closed the connection under the test
    (SQLite's in-memory test database ignores ``close``). Like Django's test client, which stops closing
    connections at request start, leave the connections that are inside a transaction alone."""
    import channels.db
    from django.db import connections

    def close_old_connections_outside_transactions() -> None:
        for connection in connections.all(initialized_only=True):
            if not connection.in_atomic_block:
                connection.close_if_unusable_or_obsolete()

    monkeypatch.setattr(channels.db, "close_old_connections", close_old_connections_outside_transactions)


@pytest.fixture
def school(db) -> dict:
    """The demo school in the test database, users by login."""
    from server.accounts.models import User
    from server.school import demo

    demo.seed()
    return {u.username: u for u in User.objects.all()}


@pytest.fixture
def client_for(db) -> Callable[..., Client]:
    """A Django test client logged in as a user: a User the test made, or the login of one in the database."""
    from server.accounts.models import User

    def make(user: User | str) -> Client:
        client = Client()
        client.force_login(user if isinstance(user, User) else User.objects.get(username=user))
        return client

    return make


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer.start()
    yield server
    stop(server.process)


@pytest.fixture(scope="session", autouse=True)
def postgres_test_database_dropped_cleanly(request: pytest.FixtureRequest) -> Iterator[None]:
    """On PostgreSQL the test database is dropped at the end, which fails while any session is still connected:
    a connection a worker thread of an in-process test opened and never closed. End those sessions first."""
    if not on_postgres(request.config):
        yield
        return
    request.getfixturevalue("django_db_setup")  # so this teardown runs before the database is dropped
    yield
    from django.db import connection

    with request.getfixturevalue("django_db_blocker").unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )


@pytest.fixture(scope="session")
def live_env(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> LiveEnvironment:
    database_url = None
    if on_postgres(request.config):
        database_url = request.getfixturevalue("postgres_server").create_database("live")
    return LiveEnvironment.create(tmp_path_factory.mktemp("live"), database_url=database_url)


@pytest.fixture
def daphne_factory(live_env: LiveEnvironment) -> Iterator[DaphneFactory]:
    factory = DaphneFactory(live_env)
    yield factory
    factory.stop_all()


@pytest.fixture
def janus_server(tmp_path: Path) -> Iterator[JanusServer]:
    server = JanusServer.start(tmp_path / "janus")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def daphne_server(live_env: LiveEnvironment) -> Iterator[DaphneServer]:
    server = DaphneServer.start(live_env)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def private_network() -> str:
    """The private namespace's address (10.99.0.1); `make test` runs pytest inside it."""
    address = os.environ.get("CLASSROOM_PRIVATE_NETWORK")
    if not address:
        pytest.fail(
            "media tests must run in the private network namespace: use `make test` "
            "(or `unshare -n scripts/in-private-network.sh .venv/bin/pytest ...` as root)"
        )
    return address


@pytest.fixture
async def browser_factory() -> AsyncIterator[Callable]:
    from playwright.async_api import async_playwright

    executable = require_chromium()
    async with async_playwright() as playwright:
        browsers = []

        async def launch(fake_video: Path | None = None, extra_args: list[str] | None = None):
            browser = await playwright.chromium.launch(
                executable_path=str(executable), headless=True, args=launch_args(fake_video) + (extra_args or [])
            )
            browsers.append(browser)
            return browser

        yield launch
        for browser in browsers:
            await browser.close()


@pytest.fixture
async def browser(browser_factory: Callable):
    return await browser_factory()

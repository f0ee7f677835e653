"""What the fuzzers attack: one daphne of a private environment, or `make cluster`'s nginx edge.

Either way a target gives logged-in sessions by demo login, runs set-ups on its database and reads every
application log written since it started, so a test can assert that no traceback was logged.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.client import Session, logged_in
from tests.support.paths import ARTIFACTS
from tests.support.servers import DaphneServer, LiveEnvironment

RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ (?P<level>[A-Z]+) ")  # server.settings LOGGING's format
SERVER_ERRORS = {"ERROR", "CRITICAL"}
QUIET = {"DEBUG", "INFO", "WARNING"}
NGINX_ERROR = re.compile(r"\[(error|crit|alert|emerg)\]")  # e.g. "upstream prematurely closed connection"


@dataclass
class Target:
    base_url: str
    environment: LiveEnvironment
    login: Callable[[str], Session] = field(repr=False)
    logs: Callable[[], dict[str, str]] = field(repr=False)  # log name → its text since the start
    read_from: dict[str, int] = field(default_factory=dict)

    def session(self, username: str) -> Session:
        return self.login(username)

    def call(self, function: Callable[..., Any], **arguments: Any) -> Any:
        return self.environment.call(function, **arguments)

    def mark(self) -> None:
        """From now on :meth:`tracebacks` reads only what the logs get after this call."""
        self.read_from = {name: len(text) for name, text in self.logs().items()}

    def tracebacks(self) -> list[str]:
        """Every server error the logs got since :meth:`mark`: a record at level ERROR or CRITICAL (an HTTP 500,
        an exception in a socket, ``log.exception``), or a traceback outside a record of a lower level (Django
        logs a refused request, 403 or 400, as a WARNING with the exception's traceback: not a server error)."""
        found = []
        for name, whole in self.logs().items():
            level = ""
            for number, line in enumerate(whole[self.read_from.get(name, 0) :].splitlines()):
                record = RECORD.match(line)
                if record:
                    level = record.group("level")
                if (
                    (record and level in SERVER_ERRORS)
                    or (line.startswith("Traceback") and level not in QUIET)
                    or (name == "nginx" and NGINX_ERROR.search(line))
                ):
                    found.append(f"{name} line {number}: {line[:500]}")
        return found


@contextmanager
def local_target(var_dir: Path, database_url: str | None = None) -> Iterator[Target]:
    """A daphne of its own on a fresh environment with the demo school (fuzzed writes stay in it)."""
    environment = LiveEnvironment.create(var_dir, database_url)
    server = DaphneServer.start(environment)
    try:
        yield Target(
            server.url, environment, lambda username: logged_in(server.url, username), lambda: {"daphne": server.log()}
        )
    finally:
        server.stop()


@contextmanager
def cluster_target() -> Iterator[Target]:
    """`make cluster`'s layout started for this run (tests/support/cluster.py); attacked through nginx."""
    from tests.support.cluster import cluster_session, start_test_cluster

    cluster, environment = start_test_cluster()
    try:
        logs = {name: len(cluster.log(name)) for name in cluster.processes}  # what start-up wrote

        def since_start() -> dict[str, str]:
            return {
                name: cluster.log(name)[offset:]
                for name, offset in logs.items()
                if name.startswith(("daphne-", "media-", "nginx"))
            }

        yield Target(
            cluster.url, environment, lambda username: cluster_session(cluster, cluster.url, username), since_start
        )
    finally:
        cluster.stop()
        kept = ARTIFACTS / "fuzz-cluster-logs"  # for a failure's investigation: the folder itself is removed
        shutil.rmtree(kept, ignore_errors=True)
        shutil.copytree(cluster.logs, kept, dirs_exist_ok=True)
        shutil.rmtree(cluster.root, ignore_errors=True)

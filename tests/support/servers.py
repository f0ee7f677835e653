"""Real servers for integration tests: redis-server and daphne as subprocesses."""

from __future__ import annotations

import atexit
import json
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import live_call, postgres
from .paths import REPO_ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 30.0, what: str = "server") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{what} did not listen on port {port} within {timeout} s")


def stop(process: subprocess.Popen, timeout: float = 10.0) -> float:
    """SIGTERM, wait, SIGKILL if needed; return seconds taken to exit after SIGTERM."""
    if process.poll() is not None:
        return 0.0
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    wait_or_kill(process, timeout)
    return time.monotonic() - started


def stop_together(processes: list[subprocess.Popen], timeout: float = 10.0) -> None:
    """SIGTERM to every one still running at once, then wait for each (SIGKILL if not gone within ``timeout``):
    their shutdowns overlap instead of following one another."""
    running = [process for process in processes if process.poll() is None]
    for process in running:
        process.send_signal(signal.SIGTERM)
    for process in running:
        wait_or_kill(process, timeout)


def wait_or_kill(process: subprocess.Popen, timeout: float) -> None:
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def free_ports(count: int) -> list[int]:
    """``count`` different free ports (for processes started side by side, before any of them listens)."""
    ports: list[int] = []
    while len(ports) < count:
        port = free_port()
        if port not in ports:
            ports.append(port)
    return ports


@dataclass
class RedisServer:
    port: int
    process: subprocess.Popen

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @classmethod
    def start(cls) -> RedisServer:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed: run `make setup-test` (apt package redis-server)")
        port = free_port()
        process = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(port, process, what="redis-server")
        return cls(port, process)


class CallServer:
    """``python -m tests.support.live_call`` on one environment: each call runs in a process of its own, forked
    from one that has set Django up (a fresh ``python`` per call spent a second or two starting)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.errors = tempfile.TemporaryFile()  # noqa: SIM115  # the server's start-up errors; closed in close()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.live_call"],
            env=env,
            cwd=REPO_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.errors,
            text=True,
        )

    def alive(self) -> bool:
        return self.process.poll() is None

    def call(self, target: str, arguments: str) -> str:
        """The standard output of ``target(**arguments)``; RuntimeError with its error output if it failed."""
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(json.dumps({"target": target, "arguments": arguments}) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            self.errors.seek(0)
            raise RuntimeError(f"the live_call server exited:\n{self.errors.read().decode(errors='replace')[-3000:]}")
        reply = json.loads(line)
        if reply["returncode"] != 0:
            raise RuntimeError(f"{target} {arguments[:300]} failed:\n{reply['stderr'][-3000:]}")
        return reply["stdout"]

    def close(self) -> None:
        """End of input: the server exits."""
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait()
        self.errors.close()


KEPT_CALL_SERVERS = 4  # environments (sets of variables) whose servers stay up: a test uses one or two
_call_servers: dict[tuple[tuple[str, str], ...], CallServer] = {}


def call_server(env: dict[str, str]) -> CallServer:
    """The running call server on these variables, started if need be (the least recently used one beyond
    KEPT_CALL_SERVERS is closed)."""
    key = tuple(sorted(env.items()))
    server = _call_servers.pop(key, None)
    if server is None or not server.alive():
        server = CallServer(env)
    _call_servers[key] = server
    while len(_call_servers) > KEPT_CALL_SERVERS:
        _call_servers.pop(next(iter(_call_servers))).close()
    return server


@atexit.register
def _close_call_servers() -> None:
    for server in _call_servers.values():
        server.close()
    _call_servers.clear()


@dataclass
class LiveEnvironment:
    """A private VAR_DIR with a migrated database holding the demo school: SQLite in VAR_DIR unless a URL is given."""

    var_dir: Path
    database_url: str | None = None

    @property
    def database(self) -> str:
        """Its DATABASE_URL."""
        return self.database_url or f"{SQLITE}{self.var_dir / 'db.sqlite3'}"

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL"}}
        env.update(
            VAR_DIR=str(self.var_dir),
            DATABASE_URL=self.database,
            MODELS_CACHE_DIR=os.environ.get("MODELS_CACHE_DIR", str(REPO_ROOT / "var" / "models")),
            DJANGO_SETTINGS_MODULE="server.settings",
            PYTHONUNBUFFERED="1",
        )
        return env

    def manage(self, *args: str, extra_env: dict[str, str] | None = None) -> str:
        return self._python(str(REPO_ROOT / "manage.py"), *args, extra_env=extra_env)

    def call(self, function: Callable[..., Any], *, redis_url: str | None = None, **arguments: Any) -> Any:
        """``function(**arguments)`` run in a process on this environment's database; its result.

        ``function`` is a module-level function of an importable module (tests/support/setups.py,
        bench/setups.py): set-ups are checked code, not Python source in strings. Arguments and result are JSON.
        With ``redis_url`` the events its writes publish reach the daphne processes on that Redis.
        """
        module, name = function.__module__, function.__qualname__
        if module == "__main__" or "." in name:
            raise ValueError(f"{module}.{name} cannot be imported by name in another process")
        env = {**self.env, **({"REDIS_URL": redis_url} if redis_url else {})}
        output = call_server(env).call(f"{module}:{name}", json.dumps(arguments))
        result = next(line for line in reversed(output.splitlines()) if line.startswith(live_call.RESULT))
        return json.loads(result.removeprefix(live_call.RESULT))

    def _python(self, *args: str, extra_env: dict[str, str] | None = None) -> str:
        result = subprocess.run(
            [sys.executable, *args],
            env={**self.env, **(extra_env or {})},
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(args)[:300]} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def make_secret_key(self) -> None:
        """VAR_DIR's secret key, as the first process on a new VAR_DIR makes it (server.settings): made here, it
        exists before processes started side by side could each make one of their own."""
        key_file = self.var_dir / "secret_key"
        key_file.touch(mode=0o600)
        key_file.write_text(secrets.token_urlsafe(50))

    @classmethod
    def create(cls, var_dir: Path, database_url: str | None = None) -> LiveEnvironment:
        """A new environment: migrated, with the demo school.

        The first one on a database server (SQLite, or one PostgreSQL server) runs the migrations and the seeding,
        and a copy of its database is kept as it was then; the later ones start as a copy of that copy, the very
        result of the same commands, without running them again (they took 10-15 s each)."""
        var_dir.mkdir(parents=True, exist_ok=True)
        live = cls(var_dir, database_url)
        fresh = _fresh_databases.get(database_server(live.database))
        if fresh is not None:
            copy_database(fresh, live.database)
            live.make_secret_key()
            return live
        live.manage("migrate", "--noinput", "-v0")
        live.manage("seed_demo", "--quiet-logins", "--school-only")
        _fresh_databases[database_server(live.database)] = keep_fresh(live.database)
        return live


SQLITE = "sqlite:///"
_fresh_databases: dict[str, str] = {}  # database server -> the kept copy of its first environment's fresh database


def database_server(url: str) -> str:
    """What a DATABASE_URL's database lives in: "sqlite" (a file), else the server's URL without the database."""
    return "sqlite" if url.startswith(SQLITE) else url.rpartition("/")[0]


def copy_database(source: str, target: str) -> None:
    """Make the database of DATABASE_URL ``target`` a copy of the one of ``source``: SQLite files (through
    SQLite's backup, which takes a write-ahead log's pages too), or databases on one PostgreSQL server."""
    if source.startswith(SQLITE):
        with (
            closing(sqlite3.connect(source.removeprefix(SQLITE))) as origin,
            closing(sqlite3.connect(target.removeprefix(SQLITE))) as copy,
        ):
            origin.backup(copy)
    else:
        postgres.copy_database(source, target)


def keep_fresh(url: str) -> str:
    """A copy of a fresh environment's database, kept for the session; its DATABASE_URL."""
    if url.startswith(SQLITE):
        folder = tempfile.mkdtemp(prefix="classroom-fresh-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        kept = f"{SQLITE}{folder}/db.sqlite3"
    else:
        kept = f"{url}_fresh"  # on its server, gone with it
    copy_database(url, kept)
    return kept


@dataclass
class DaphneServer:
    port: int
    process: subprocess.Popen
    log_path: Path
    env: dict[str, str] = field(repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> float:
        return stop(self.process)

    @classmethod
    def start(
        cls,
        live: LiveEnvironment,
        redis_url: str | None = None,
        extra_env: dict[str, str] | None = None,
        host: str = "127.0.0.1",
        port: int | None = None,
        ready: bool = True,
    ) -> DaphneServer:
        """``port``: a given one (to restart a server where the pages expect it), else a free one.
        ``ready=False``: back at once, before it listens (:meth:`wait_ready` before using it)."""
        port = port or free_port()
        env = {**live.env, **(extra_env or {})}
        if redis_url:
            env["REDIS_URL"] = redis_url
        log_path = live.var_dir / f"daphne-{port}.log"
        log = log_path.open("w")
        process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", host, "-p", str(port), "server.asgi:application"],
            env=env,
            cwd=REPO_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        server = cls(port, process, log_path, env)
        if ready:
            server.wait_ready()
        return server

    def wait_ready(self) -> None:
        try:
            wait_for_port(self.port, self.process, what="daphne")
        except Exception as error:
            raise RuntimeError(f"{error}\n{self.log()[-3000:]}") from error


class DaphneFactory:
    """``factory(redis_url=None, extra_env=None)``: a daphne on the live environment; ``factory.several(n, ...)``:
    n of them, started side by side. :meth:`stop_all` stops every one it started (the fixture, after the test)."""

    def __init__(self, live: LiveEnvironment) -> None:
        self.live = live
        self.started: list[DaphneServer] = []

    def __call__(self, redis_url: str | None = None, extra_env: dict[str, str] | None = None) -> DaphneServer:
        return self.several(1, redis_url, extra_env)[0]

    def several(
        self, count: int, redis_url: str | None = None, extra_env: dict[str, str] | None = None
    ) -> list[DaphneServer]:
        launched = [
            DaphneServer.start(self.live, redis_url, extra_env, port=port, ready=False) for port in free_ports(count)
        ]
        self.started.extend(launched)
        for server in launched:
            server.wait_ready()
        return launched

    def stop_all(self) -> None:
        stop_together([server.process for server in self.started])

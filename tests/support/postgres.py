"""A real PostgreSQL server for tests and benchmarks: Debian's `postgresql` binaries in a temporary folder.

Self-contained (standard library only) so the cluster start and bench/ can use it too. PostgreSQL refuses to
run as root, so under root the server runs as the unprivileged `postgres` user (Debian's package creates it)
in a folder that user owns. The server listens on a unix socket in its folder and on a free loopback port;
clients in this machine's namespace use the socket (cheaper per statement than TCP).
Durability is switched off (fsync, synchronous_commit): the data is thrown away at the end anyway.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

SUPERUSER = "postgres"


def binaries() -> Path:
    """The newest installed PostgreSQL's bin folder (/usr/lib/postgresql/<version>/bin)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: run `make setup-test` (apt package postgresql)")
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PostgresServer:
    folder: Path
    port: int
    process: subprocess.Popen
    owner: str | None  # the unprivileged user it runs as when started by root

    @property
    def socket_dir(self) -> Path:
        return self.folder / "socket"

    def url(self, database: str = "postgres") -> str:
        """A DATABASE_URL (dj-database-url) reaching this server through its unix socket."""
        return f"postgres://{SUPERUSER}@{quote(str(self.socket_dir), safe='')}:{self.port}/{database}"

    @property
    def tcp_url(self) -> str:
        return f"postgres://{SUPERUSER}@127.0.0.1:{self.port}/postgres"

    def create_database(self, name: str) -> str:
        """A new empty database; its DATABASE_URL."""
        self._run("createdb", "-h", str(self.socket_dir), "-p", str(self.port), "-U", SUPERUSER, name)
        return self.url(name)

    @classmethod
    def start(cls, timeout: float = 60.0) -> PostgresServer:
        bin_dir = binaries()
        owner = SUPERUSER if os.geteuid() == 0 else None
        folder = Path(tempfile.mkdtemp(prefix="classroom-pg-"))
        (folder / "socket").mkdir()
        if owner:
            entry = pwd.getpwnam(owner)
            for path in (folder, folder / "socket"):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        port = _free_port()
        server = cls(folder, port, None, owner)  # type: ignore[arg-type]  # process set below
        server._run(
            "initdb", "-D", str(folder / "data"), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"
        )
        server.process = subprocess.Popen(
            [
                str(bin_dir / "postgres"),
                *("-D", str(folder / "data"), "-p", str(port), "-k", str(folder / "socket")),
                *("-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200"),
                *("-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=open(folder / "postgres.log", "wb"),  # noqa: SIM115  # the child keeps it
            user=owner,
            cwd=folder,
            start_new_session=True,
        )
        server._wait_ready(timeout)
        return server

    def stop(self) -> None:
        """Fast shutdown (SIGINT: roll back, disconnect clients), then remove the folder."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = (self.folder / "postgres.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"postgres exited with code {self.process.returncode}:\n{log}")
            ready = subprocess.run(
                [str(binaries() / "pg_isready"), "-q", "-h", str(self.socket_dir), "-p", str(self.port)], check=False
            )
            if ready.returncode == 0:
                return
            time.sleep(0.1)
        raise TimeoutError(f"postgres did not accept connections within {timeout} s")

    def _run(self, program: str, *args: str) -> None:
        result = subprocess.run(
            [str(binaries() / program), *args],
            user=self.owner,
            cwd=self.folder,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{program} failed:\n{result.stdout[-1500:]}{result.stderr[-1500:]}")


def copy_database(source_url: str, target_url: str) -> None:
    """Make the database of ``target_url`` (dropped first if it exists) a copy of the one of ``source_url``, on
    the same server; no one may be connected to the source meanwhile (PostgreSQL's ``CREATE DATABASE ... TEMPLATE``)."""
    server_url, _, target = target_url.rpartition("/")
    source = source_url.rpartition("/")[2]
    maintenance = f"--maintenance-db={server_url}/postgres"
    for program, *args in (("dropdb", "--if-exists", target), ("createdb", "--template", source, target)):
        result = subprocess.run(
            [str(binaries() / program), maintenance, *args], capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(f"{program} failed:\n{result.stdout[-1500:]}{result.stderr[-1500:]}")


def use_database(url: str) -> None:
    """Point Django's default database at ``url`` before any connection is made (pytest-django's
    ``django_db_modify_db_settings``): settings were loaded with the SQLite default before the server existed."""
    import dj_database_url
    from django.conf import settings
    from django.db import connections

    settings.DATABASES["default"] = dj_database_url.parse(url)
    connections.close_all()
    connections.__dict__.pop("settings", None)  # the handler's cached copy of DATABASES
    with contextlib.suppress(AttributeError):  # no connection made yet
        del connections["default"]

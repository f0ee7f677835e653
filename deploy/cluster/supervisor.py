"""``Cluster``: start, stop and break the scaled layout; used by ``make cluster`` and the fault suite.

Processes are started with ``ip netns exec`` (which execs: the pid we hold is the service's), their
pids written to ``<root>/<service>.pid`` and their output to ``<root>/logs/<service>.log``. No
parent-death signal is used: the kernel sends it when the starting *thread* ends, and the fault
suite restarts services from worker threads. A run killed outright leaves processes behind; the
next start finds them in the cluster's namespaces (``ip netns pids``) and ends them first.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import ipaddress
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from .network import Network
from .secrets import ClusterSecrets
from .services import (
    APPS,
    DATABASE,
    EDGE,
    HOSTS,
    PG_BIN,
    POSTGRES_USER,
    REPO_ROOT,
    STORES,
    UNPRIVILEGED_FOLDERS,
    Layout,
    Service,
)

DEFAULT_ROOT = REPO_ROOT / "var" / "cluster"
READY_TIMEOUT_SECONDS = 90.0  # daphne's first start on a loaded 2-core machine takes tens of seconds
STOP_TIMEOUT_SECONDS = 10.0
LEFTOVER_TIMEOUT_SECONDS = 5.0
OUTSIDE_STATE = Path("/var/lib/classroom-cluster")  # for a root that other users cannot enter


class ClusterError(RuntimeError):
    pass


class Cluster:
    """The scaled layout on this machine. ``prefix`` names its namespaces and bridge, ``subnet`` its addresses.

    ``make cluster`` uses prefix ``cl`` and 10.88.0.0/24; a test run picks its own, so both can coexist.
    """

    def __init__(
        self,
        root: Path = DEFAULT_ROOT,
        prefix: str = "cl",
        subnet: str = "10.88.0.0/24",
        durable: bool = True,
        report: Callable[[str], None] = lambda step: None,
    ) -> None:
        """``durable=False``: PostgreSQL skips fsync (tests; a crash of this machine may then lose data).
        ``report``: told each step of the start (``make cluster`` prints them)."""
        self.root = root
        self.network = Network(prefix, ipaddress.IPv4Network(subnet), HOSTS)
        self.layout = Layout(self.network, ClusterSecrets.load_or_create(root / "secrets.json"), root, durable)
        self.report = report
        self.logs = root / "logs"
        self.services: dict[str, Service] = {}
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self._lock: IO[str] | None = None

    # -- addresses ---------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return self.layout.url

    def web_url(self, host: str) -> str:
        return self.layout.web_url(host)

    def janus_url(self, host: str) -> str:
        return self.layout.janus_url(host)

    @property
    def database_url(self) -> str:
        return self.layout.database_url

    @property
    def redis_url(self) -> str:
        return self.layout.redis_url

    @property
    def demo_password(self) -> str:
        return self.layout.secrets.demo_password

    def app_env(self) -> dict[str, str]:
        """The application's environment, for commands run from this machine against the cluster."""
        return self.layout.app_env()

    # -- whole cluster -----------------------------------------------------------------------------------
    def start(self) -> None:
        """Clean up a leftover, build the network, start every service, migrate and seed; return when ready."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o711)  # the postgres user reaches its data folder inside
        self._take_lock()
        started = time.monotonic()

        def step(text: str) -> None:
            self.report(f"{time.monotonic() - started:5.1f} s  {text}")

        try:
            leftover = self.network.pids_inside()
            if leftover or self.network.exists():
                step(f"ending a leftover run: {len(leftover)} process(es) in {self.network.prefix}-* namespaces")
            self.end_leftover()
            self.logs.mkdir(exist_ok=True)
            step(f"network: bridge {self.network.bridge} {self.network.subnet}, hosts {', '.join(HOSTS)}")
            self.network.create()
            self._place_unprivileged_folders()
            self._init_database_files()
            self.services = {service.name: service for service in self.layout.services()}
            self._start_tier(STORES, step)
            step("migrating the database")
            self._create_database()
            self._run_once("manage.py", "migrate", "--noinput", "-v0", "--skip-checks")  # daphne checks at start
            step("seeding the demo school")
            self._run_once("-m", "deploy.cluster.seed", self.demo_password)
            self._start_tier(APPS, step)
            self._start_tier(EDGE, step)
            step("ready")
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop every service (reverse order), remove the network and the pid files. Safe to call twice.

        Does nothing unless this object holds the folder's lock: a second ``make cluster`` refused by the lock
        must not tear down the first one."""
        if self._lock is None:
            return
        names = [name for name in reversed(list(self.services)) if name in self.processes]
        for name in names:
            self._signal(name, self.services[name].stop_signal)
        for name in names:
            self._wait_stopped(name)
        self.processes.clear()
        self.end_leftover()
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    # -- one service ---------------------------------------------------------------------------------------
    def pid(self, service: str) -> int:
        return self._process(service).pid

    def running(self, service: str) -> bool:
        process = self.processes.get(service)
        return process is not None and process.poll() is None

    def kill(self, service: str, sig: signal.Signals = signal.SIGKILL) -> None:
        """Send ``sig`` to the service (SIGKILL by default: a crash); it is not restarted."""
        self._signal(service, sig)
        if sig == signal.SIGKILL:
            self._process(service).wait()

    def restart(self, service: str) -> None:
        """Stop the service if it runs (its stop signal, then SIGKILL), start it again, wait until ready."""
        if service in self.processes:
            self._signal(service, self.services[service].stop_signal)
            self._wait_stopped(service)
        self._start_and_wait([service])

    def log(self, service: str) -> str:
        return (self.logs / f"{service}.log").read_text(errors="replace")

    # -- faults -------------------------------------------------------------------------------------------
    def disconnect(self, host: str) -> None:
        """Take the host's link down: its processes live on but reach nothing and nothing reaches them."""
        self.network.set_link(host, up=False)

    def reconnect(self, host: str) -> None:
        self.network.set_link(host, up=True)

    def partition(self, host: str, seconds: float) -> None:
        """Cut ``host`` off for ``seconds`` (blocking; run it in a thread beside traffic)."""
        with self.cut_off(host):
            time.sleep(seconds)

    @contextmanager
    def cut_off(self, host: str) -> Iterator[None]:
        self.disconnect(host)
        try:
            yield
        finally:
            self.reconnect(host)

    # -- internals -------------------------------------------------------------------------------------------
    def _process(self, service: str) -> subprocess.Popen[bytes]:
        if service not in self.processes:
            raise ClusterError(f"{service} was not started (services: {', '.join(self.services)})")
        return self.processes[service]

    def _pid_file(self, service: str) -> Path:
        return self.root / f"{service}.pid"

    def _take_lock(self) -> None:
        """One supervisor per root: a second ``make cluster`` would tear down the first one's network."""
        lock = (self.root / "cluster.lock").open("a+")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            raise ClusterError(f"a cluster is already running from {self.root}") from None
        self._lock = lock

    def end_leftover(self) -> None:
        """End every process in the cluster's namespaces, then remove them, the bridge and the pid files."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            pids = self.network.pids_inside()
            for pid in pids:
                _send(pid, sig)
            deadline = time.monotonic() + LEFTOVER_TIMEOUT_SECONDS
            while pids and time.monotonic() < deadline:
                pids = [pid for pid in pids if _alive(pid)]
                time.sleep(0.1)
        self.network.remove()
        for pid_file in self.root.glob("*.pid"):
            pid_file.unlink()

    def _start(self, name: str) -> None:
        service = self.services[name]
        if service.prepare is not None:
            service.prepare()
        user = (
            ["setpriv", f"--reuid={service.user}", f"--regid={service.user}", "--init-groups"] if service.user else []
        )
        log = (self.logs / f"{name}.log").open("ab")
        log.write(f"\n==== {time.strftime('%Y-%m-%d %H:%M:%S')} start {name}\n".encode())
        log.flush()
        process = subprocess.Popen(  # noqa: S603 - our own command lines
            [*self.network.exec_prefix(service.host), *user, *service.argv],
            env=service.env or self.layout.base_env(),
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl+C in the terminal reaches the supervisor only; it stops them in order
        )
        log.close()
        self.processes[name] = process
        self._pid_file(name).write_text(f"{process.pid}\n")

    def _start_tier(self, tier: int, step: Callable[[str], None]) -> None:
        names = [name for name, service in self.services.items() if service.tier == tier]
        step(f"starting {', '.join(names)}")
        self._start_and_wait(names)

    def _start_and_wait(self, names: list[str]) -> None:
        for name in names:
            self._start(name)
        for name in names:
            self._wait_ready(name)

    def _wait_ready(self, name: str) -> None:
        service, process = self.services[name], self.processes[name]
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise ClusterError(f"{name} exited with code {process.returncode}:\n{self.log(name)[-3000:]}")
            if service.port is None:
                return
            try:
                with socket.create_connection((self.layout.address(service.host), service.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.2)
        raise ClusterError(f"{name} did not answer within {READY_TIMEOUT_SECONDS:.0f} s:\n{self.log(name)[-3000:]}")

    def _signal(self, name: str, sig: signal.Signals) -> None:
        process = self._process(name)
        if process.poll() is None:
            _send(process.pid, sig)

    def _wait_stopped(self, name: str) -> None:
        process = self.processes.pop(name)
        try:
            process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        self._pid_file(name).unlink(missing_ok=True)

    def _place_unprivileged_folders(self) -> None:
        """PostgreSQL and nginx's workers run as other users, who cannot enter a clone under a private folder
        (/root is 700): then their folders live under /var/lib and ``<root>/<name>`` links there."""
        if not _reachable_by("nobody", self.root):
            self._link_unprivileged_folders()
        for name in UNPRIVILEGED_FOLDERS:
            self.layout.unprivileged(name).mkdir(parents=True, exist_ok=True)

    def _link_unprivileged_folders(self) -> None:
        outside = OUTSIDE_STATE / hashlib.sha256(bytes(self.root)).hexdigest()[:12]
        outside.mkdir(parents=True, exist_ok=True)
        for folder in (OUTSIDE_STATE, outside):
            folder.chmod(0o711)
        for name in UNPRIVILEGED_FOLDERS:
            link = self.root / name
            if not link.is_symlink():
                if link.exists():
                    raise ClusterError(f"{link} exists, but its service's user cannot reach it: move it to {outside}")
                link.symlink_to(outside / name)

    def _init_database_files(self) -> None:
        """``initdb`` once (owned by the postgres user); the access rules are rewritten at every start."""
        data = self.layout.pg_data
        if not (data / "PG_VERSION").exists():
            shutil.rmtree(data, ignore_errors=True)
            data.mkdir(mode=0o700)
            shutil.chown(data, POSTGRES_USER, POSTGRES_USER)
            password_file = data.with_name(data.name + "-password")  # beside it: the postgres user reaches it
            password_file.touch(mode=0o600)
            password_file.write_text(self.layout.secrets.postgres_password)
            shutil.chown(password_file, POSTGRES_USER)
            try:
                initdb = [str(PG_BIN / "initdb"), "-D", str(data), "-U", DATABASE, f"--pwfile={password_file}"]
                options = ["-E", "UTF8", "--no-locale", "--auth-local=peer", "--auth-host=scram-sha-256"]
                subprocess.run(  # noqa: S603 - fixed binary
                    [*as_user(POSTGRES_USER), *initdb, *options],
                    check=True,
                    capture_output=True,
                    cwd="/",
                )
            finally:
                password_file.unlink()
        hba = data / "pg_hba.conf"
        hba.write_text("local all all peer\nhost all all 0.0.0.0/0 scram-sha-256\n")  # reachable on the bridge only
        shutil.chown(hba, POSTGRES_USER, POSTGRES_USER)

    def _create_database(self) -> None:
        import psycopg

        admin_url = self.database_url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin_url, autocommit=True) as connection:
            if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]).fetchone() is None:
                connection.execute(f'CREATE DATABASE "{DATABASE}"')

    def _run_once(self, *argv: str) -> None:
        """A one-off application command on web1 (output appended to logs/setup.log); it must succeed."""
        service = self.layout.one_off(*argv)
        with (self.logs / "setup.log").open("ab") as log:
            result = subprocess.run(  # noqa: S603 - our own command line
                [*self.network.exec_prefix(service.host), *service.argv],
                env=service.env,
                cwd=REPO_ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                check=False,
            )
        if result.returncode != 0:
            raise ClusterError(f"{' '.join(argv[:3])} failed:\n{self.log('setup')[-3000:]}")


def as_user(user: str) -> list[str]:
    """Put before a command line to run it as ``user`` (setpriv execs, so the pid stays)."""
    return ["setpriv", f"--reuid={user}", f"--regid={pwd.getpwnam(user).pw_gid}", "--init-groups"]


def _reachable_by(user: str, folder: Path) -> bool:
    check = subprocess.run([*as_user(user), "test", "-x", str(folder)], check=False)  # noqa: S603
    return check.returncode == 0


def _send(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def _alive(pid: int) -> bool:
    """Running (a zombie, exited but not yet reaped by its parent, counts as ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"

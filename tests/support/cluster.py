"""The scaled layout (deploy.cluster.Cluster) for the reliability tests, and set-ups run against its database.

A test run's cluster has its own prefix (``t<pid>``) and subnet, so it never meets ``make cluster``'s, and its
folder is outside pytest's temporary tree (mode 700 there, but PostgreSQL runs as the ``postgres`` user).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from deploy.cluster import Cluster
from deploy.cluster.network import ip

from .client import Session
from .servers import LiveEnvironment

TEST_SUBNET = "10.89.0.0/24"
TEST_PREFIX = re.compile(r"^t(\d+)-")
FOLDER_PREFIX = "classroom-cluster-"  # then the pytest pid: a folder of a run that was killed can be told


@dataclass
class ClusterEnvironment(LiveEnvironment):
    """``call``/``manage`` run on this machine against the cluster's PostgreSQL and Redis (through the bridge)."""

    cluster: Cluster = field(repr=False, kw_only=True)

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, **self.cluster.app_env()}


def start_test_cluster(subnet: str = TEST_SUBNET, durable: bool = False) -> tuple[Cluster, ClusterEnvironment]:
    """A cluster of this process (prefix ``t<pid>``); ``durable=False``: PostgreSQL without fsync. The benchmarks
    pass a subnet of their own (a test run may be on TEST_SUBNET meanwhile)."""
    end_stale_test_clusters()
    root = Path(tempfile.mkdtemp(prefix=f"{FOLDER_PREFIX}{os.getpid()}-"))
    cluster = Cluster(root, prefix=f"t{os.getpid()}", subnet=subnet, durable=durable, report=print)
    cluster.start()
    return cluster, ClusterEnvironment(root / "var", cluster=cluster)


def end_stale_test_clusters() -> None:
    """What test runs that were killed (their pytest pid is gone) left: namespaces, their processes, folders."""
    listed = ip("netns", "list", check=False).stdout.split("\n")
    for name in {line.split()[0] for line in listed if line.strip()}:
        match = TEST_PREFIX.match(name)
        if match and not Path(f"/proc/{match.group(1)}").exists():
            for pid in ip("netns", "pids", name, check=False).stdout.split():
                os.kill(int(pid), signal.SIGKILL)
            ip("netns", "delete", name, check=False)
    for folder in Path(tempfile.gettempdir()).glob(f"{FOLDER_PREFIX}*-*"):
        pid = folder.name.removeprefix(FOLDER_PREFIX).split("-")[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(folder, ignore_errors=True)  # its database files, tens of MB each


def cluster_session(cluster: Cluster, base_url: str, username: str) -> Session:
    """Logged in as a demo user (the cluster's password) on ``base_url``: the edge or one web host."""
    session = Session(base_url.rstrip("/"))
    session.login(username, cluster.demo_password)
    return session


def on_host(session: Session, base_url: str) -> Session:
    """The same login (cookies) talking to another address, e.g. one daphne directly instead of nginx."""
    moved = Session(base_url.rstrip("/"))
    moved.cookies = dict(session.cookies)
    return moved

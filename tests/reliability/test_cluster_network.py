"""The cluster's network on its own (no services, so it costs a second): hosts reach each other over the
bridge and never over loopback, and what a killed run leaves behind is ended before the next start."""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from deploy.cluster import Cluster

SUBNET = "10.90.0.0/24"


@pytest.fixture
def bare_cluster(private_network, tmp_path):
    """A Cluster whose network is built but whose services are not started."""
    cluster = Cluster(tmp_path / "cluster", prefix=f"n{os.getpid()}", subnet=SUBNET)
    cluster.network.create()
    yield cluster
    cluster.end_leftover()


def run_on(cluster: Cluster, host: str, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*cluster.network.exec_prefix(host), *argv], capture_output=True, text=True, check=False)


def test_hosts_talk_over_the_bridge_only(bare_cluster):
    network = bare_cluster.network
    assert network.address("db") == "10.90.0.2"
    assert network.address("edge") == "10.90.0.10"
    inside = run_on(bare_cluster, "web1", "ip", "-4", "-o", "addr", "show")
    addresses = sorted(line.split()[1] + " " + line.split()[3] for line in inside.stdout.splitlines())
    assert addresses == ["eth0 10.90.0.11/24", "lo 127.0.0.1/8"]
    routes = run_on(bare_cluster, "web1", "ip", "-4", "route", "show").stdout
    assert "default" not in routes  # nothing leaves the machine
    probe = "import socket; socket.create_connection(('10.90.0.2', 9), timeout=2)"
    refused = run_on(bare_cluster, "web1", "python3", "-c", probe)
    assert "ConnectionRefusedError" in refused.stderr  # db's kernel answered: the bridge carries it


def test_a_killed_runs_processes_namespaces_and_pid_files_are_ended(bare_cluster):
    leftover = subprocess.Popen([*bare_cluster.network.exec_prefix("db"), "sleep", "300"], start_new_session=True)
    (bare_cluster.root / "redis.pid").write_text(f"{leftover.pid}\n")
    deadline = time.monotonic() + 10
    while bare_cluster.network.pids_inside() != [leftover.pid] and time.monotonic() < deadline:
        time.sleep(0.05)  # until `ip netns exec` has entered the namespace
    assert bare_cluster.network.pids_inside() == [leftover.pid]

    bare_cluster.end_leftover()

    assert leftover.wait(10) == -15  # SIGTERM first
    assert bare_cluster.network.existing_namespaces() == []
    assert not bare_cluster.network.exists()
    assert list(bare_cluster.root.glob("*.pid")) == []
    bare_cluster.network.create()  # and the next start builds it again
    assert len(bare_cluster.network.existing_namespaces()) == 6

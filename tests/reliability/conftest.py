"""The cluster fixture: the scaled layout of ``make cluster``, started once per test session.

Its teardown fails the run when stopping leaves anything behind (a process in a namespace, a namespace,
the bridge, a pid file): the fault suite kills and partitions hosts, so the next run must start clean.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from deploy.cluster import Cluster
from tests.support.cluster import ClusterEnvironment, start_test_cluster


@pytest.fixture(scope="session")
def cluster_with_env(private_network: str) -> Iterator[tuple[Cluster, ClusterEnvironment]]:
    if os.getuid() != 0:
        pytest.fail("the cluster needs root (network namespaces, a bridge, PostgreSQL's own user)")
    cluster, env = start_test_cluster()
    pids = [cluster.pid(name) for name in cluster.processes]
    yield cluster, env
    cluster.stop()
    left = {
        "pid files": sorted(path.name for path in cluster.root.glob("*.pid")),
        "processes in its namespaces": cluster.network.pids_inside(),
        "namespaces": cluster.network.existing_namespaces(),
        "bridge": cluster.network.exists(),
        "started processes alive": [pid for pid in pids if os.path.exists(f"/proc/{pid}")],
    }
    shutil.rmtree(cluster.root, ignore_errors=True)
    assert not any(left.values()), f"stopping the cluster left {left}"


@pytest.fixture(scope="session")
def cluster(cluster_with_env: tuple[Cluster, ClusterEnvironment]) -> Cluster:
    """The running cluster: ``url`` (nginx), ``web_url(host)``, ``kill``/``restart``/``partition``."""
    return cluster_with_env[0]


@pytest.fixture(scope="session")
def cluster_env(cluster_with_env: tuple[Cluster, ClusterEnvironment]) -> ClusterEnvironment:
    """``cluster_env.call(setups.<function>, ...)`` runs in the cluster's database (like ``live_env``)."""
    return cluster_with_env[1]

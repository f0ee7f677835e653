"""``python -m deploy.cluster`` (``make cluster``): start the scaled layout, serve until Ctrl+C or SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from . import Cluster
from .supervisor import DEFAULT_ROOT, ClusterError


class Stop(Exception):
    """Raised by the signal handler: leave the wait and stop the cluster in order."""


def _stop(signum: int, frame: FrameType | None) -> None:
    raise Stop(signal.Signals(signum).name)


def watch(cluster: Cluster) -> None:
    """Report services that exit on their own (nothing restarts them: the fault suite relies on that)."""
    reported: set[str] = set()
    while True:
        for name, process in cluster.processes.items():
            if name not in reported and process.poll() is not None:
                reported.add(name)
                print(f"{name} exited with code {process.returncode} (log: {cluster.logs / (name + '.log')})")
        time.sleep(1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="state, configs and logs (var/cluster)")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    cluster = Cluster(args.root, report=lambda step: print(step, flush=True))
    started = time.monotonic()
    try:
        cluster.start()
        print(f"cluster ready: {cluster.url}  ({time.monotonic() - started:.0f} s; Ctrl+C to stop)")
        print(f"  demo logins (admin, teacher, student, ...): password {cluster.demo_password}")
        print(f"  logs: {cluster.logs}/<service>.log, pids: {cluster.root}/<service>.pid")
        sys.stdout.flush()
        watch(cluster)
    except Stop as stop:
        print(f"{stop}: stopping the cluster")
    except ClusterError as error:
        print(f"cluster failed: {error}", file=sys.stderr)
        raise SystemExit(1) from None
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl+C must not leave half a cluster
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        cluster.stop()
    print("cluster stopped")


if __name__ == "__main__":
    main()

"""Soak: the scaled layout under mixed load for a long while — does anything grow, fail or slow down?

One command, as root, inside the private network namespace (the students' media stays inside the machine)::

    unshare -n scripts/in-private-network.sh .venv/bin/python bench/soak.py [--minutes 30]

It starts the scaled layout (deploy.cluster, PostgreSQL with fsync as in production) and runs through nginx the
traffic of the fault suite (tests/support/traffic.py): chat clients in rooms of ten, each sending now and then with
client ids, exam students streaming the benchmark clips (the project's VP8 replay, analysed by the media workers),
and one lesson whose participants join over the lesson socket, the teacher and one student publishing an aiortc
camera through Janus that the teacher and two students receive (the other students signal only). After the
warm-up it records, per service (a process and its children: PostgreSQL's backends, the media workers' analysts),
the resident memory — RSS summed over the processes, PSS (shared pages split between the processes that map
them: PostgreSQL's backends each map the shared buffers, so their summed RSS counts those once per backend and
grows as each backend touches more of them, which is no leak) and anonymous memory (the heaps) — and the open
files; then every interval the
chat's p99 delivery latency, deliveries, clients down and error frames. At the end: the same figures again with
the growth in %, the lines of every service's log since the warm-up that report an error (ERROR, CRITICAL,
Traceback), and every chat send followed to every client of its room (lost, duplicated, out of order).

The last line is ``RESULT minutes=<float> max_pss_growth_pct=<float> (service) max_anon_growth_pct=<float> (service)
log_errors=<int> lost=<int> dup=<int> p99_first_ms=<float> p99_last_ms=<float>`` (the largest growers).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.media import process_tree  # noqa: E402
from deploy.cluster import Cluster  # noqa: E402
from tests.support.cluster import start_test_cluster  # noqa: E402
from tests.support.traffic import (  # noqa: E402
    Traffic,
    add_load_arguments,
    plan_from_arguments,
    require_root_in_private_network,
)

SUBNET = "10.92.0.0/24"  # not the test runs' nor bench/faults.py's
CLIENT_BACKEND = re.compile(r"\(\d+\)")  # the client's port in a backend's title
ERROR_LINE = re.compile(r"\b(ERROR|CRITICAL|FATAL|PANIC|Traceback)\b")
WATCHED = ("postgres", "redis", "daphne-web1", "daphne-web2", "media-web1", "media-web2", "janus-sfu1", "janus-sfu2",
           "nginx")  # fmt: skip


@dataclass
class Usage:
    rss_kb: int  # summed over the processes: memory they share (PostgreSQL's shared buffers) counts once per process
    pss_kb: int  # proportional: shared memory split between the processes that map it, so the sum is the real total
    anon_kb: int
    open_files: int
    processes: int  # PostgreSQL's backends come and go (connections live DB_CONN_MAX_AGE): sums move with their number
    anon_by_role: Counter[str]  # anonymous memory per kind of process (PostgreSQL: checkpointer, client backends…)


def usage(pid: int) -> Usage:
    rss = pss = anon = files = processes = 0
    by_role: Counter[str] = Counter()
    for member in process_tree(pid):
        try:
            status = kilobytes(Path(f"/proc/{member}/status").read_text())
            rollup = kilobytes(Path(f"/proc/{member}/smaps_rollup").read_text())
            files += len(os.listdir(f"/proc/{member}/fd"))
            title = Path(f"/proc/{member}/cmdline").read_text().replace("\0", " ").strip()
        except OSError:
            continue  # ended meanwhile
        rss, pss, anon = rss + status.get("VmRSS", 0), pss + rollup.get("Pss", 0), anon + status.get("RssAnon", 0)
        by_role[role(title)] += status.get("RssAnon", 0)
        processes += 1
    return Usage(rss, pss, anon, files, processes, by_role)


def role(title: str) -> str:
    """A process's kind from its title: PostgreSQL's ``postgres: checkpointer`` is ``checkpointer``, and every
    ``postgres: USER DB HOST(PORT) STATE`` one ``client backend``; other processes by their program."""
    if not title.startswith("postgres:"):
        return Path(title.split(" ", 1)[0]).name
    return "client backend" if CLIENT_BACKEND.search(title) else title.removeprefix("postgres:").strip()


def kilobytes(text: str) -> dict[str, int]:
    """The ``Name:   123 kB`` lines of a /proc file."""
    found = {}
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if value.strip().endswith(" kB"):
            found[name] = int(value.split()[0])
    return found


def sample(cluster: Cluster) -> dict[str, Usage]:
    return {name: usage(cluster.pid(name)) for name in WATCHED}


def database_size(cluster: Cluster) -> int:
    """Bytes of the cluster's database: tables and indexes grow with the stored chat, and PostgreSQL's caches
    (shared buffers, the backends' own) with them."""
    with psycopg.connect(cluster.database_url) as connection:
        row = connection.execute("SELECT pg_database_size(current_database())").fetchone()
    return int(row[0]) if row else 0


def log_sizes(cluster: Cluster) -> dict[str, int]:
    return {path.name: path.stat().st_size for path in cluster.logs.glob("*.log")}


def error_lines(cluster: Cluster, since: dict[str, int]) -> dict[str, list[str]]:
    found = {}
    for path in cluster.logs.glob("*.log"):
        with path.open("rb") as log:
            log.seek(since.get(path.name, 0))
            lines = [line for line in log.read().decode(errors="replace").splitlines() if ERROR_LINE.search(line)]
        if lines:
            found[path.name] = lines
    return found


def growth(first: int, last: int) -> float:
    return 100.0 * (last - first) / first if first else 0.0


async def run(args: argparse.Namespace) -> None:
    cluster, env = start_test_cluster(SUBNET, durable=True)
    traffic = None
    try:
        with tempfile.TemporaryDirectory() as folder:
            plan = plan_from_arguments(env, Path(folder), args)
        traffic = Traffic(cluster.url, plan)
        await traffic.start()
        print(
            f"traffic up: {len(traffic.chat_clients)} chat clients in {args.rooms} rooms (one message per client "
            f"every {args.send_every:.0f} s), {len(plan.students)} exam students, lesson with "
            f"{len(plan.lesson_cookies)} participants; warming up {args.warm_up:.0f} s",
            flush=True,
        )
        await asyncio.sleep(args.warm_up)
        first, logs_at, started = sample(cluster), log_sizes(cluster), time.time()
        database_sizes = [database_size(cluster)]
        print(
            "| minute | deliveries | p99 delivery (ms) | clients down | error frames | "
            + " | ".join(f"{name} RSS MB" for name in WATCHED)
            + " |",
            flush=True,
        )
        p99s: list[float] = []
        end = started + 60 * args.minutes
        while (now := time.time()) < end:
            await asyncio.sleep(min(args.interval, end - now))
            at = time.time()
            p99 = traffic.p99_ms(at - args.interval, at)
            p99s.append(p99 or 0.0)
            current = sample(cluster)
            errors = sum(traffic.errors().values())
            print(
                f"| {(at - started) / 60:.1f} | {traffic.deliveries(at - args.interval, at)} | "
                f"{p99 or 0:.0f} | {len(traffic.not_up())} | {errors} | "
                + " | ".join(f"{current[name].rss_kb / 1024:.0f}" for name in WATCHED)
                + " |",
                flush=True,
            )
        last = sample(cluster)
        database_sizes.append(database_size(cluster))
        minutes = (time.time() - started) / 60
        sent_until = time.time()
        await traffic.settle(sent_until)
        lost, dup = traffic.missing(sent_until, since=started), traffic.doubled(started, time.time())
        reordered = traffic.anomalies(started, time.time(), "reordered", "gap")
        errors_in_logs = error_lines(cluster, logs_at)
    finally:
        if traffic is not None:
            await traffic.stop()
        cluster.stop()

    print(f"\nper service, after {args.warm_up:.0f} s of warm-up and {minutes:.1f} minutes later:")
    print(
        "| service | RSS start → end (MB) | growth | PSS start → end (MB) | growth | anonymous start → end (MB) "
        "| growth | open files start → end | processes start → end |\n|---|---|---|---|---|---|---|---|---|"
    )
    for name in WATCHED:
        a, b = first[name], last[name]
        print(
            f"| {name} | {a.rss_kb / 1024:.1f} → {b.rss_kb / 1024:.1f} | {growth(a.rss_kb, b.rss_kb):+.1f} % "
            f"| {a.pss_kb / 1024:.1f} → {b.pss_kb / 1024:.1f} | {growth(a.pss_kb, b.pss_kb):+.1f} % "
            f"| {a.anon_kb / 1024:.1f} → {b.anon_kb / 1024:.1f} | {growth(a.anon_kb, b.anon_kb):+.1f} % "
            f"| {a.open_files} → {b.open_files} | {a.processes} → {b.processes} |"
        )
    print(
        f"\nchat: {lost} lost, {dup} duplicated, {reordered} out of order; error frames and client troubles: "
        f"{dict(traffic.errors()) if traffic else {}}"
    )
    print("\nanonymous memory of the biggest grower's processes, by kind (MB, start → end):")
    anon = max(WATCHED, key=lambda name: growth(first[name].anon_kb, last[name].anon_kb))
    roles = first[anon].anon_by_role | last[anon].anon_by_role
    for kind in sorted(roles, key=lambda k: last[anon].anon_by_role[k] - first[anon].anon_by_role[k], reverse=True):
        start, end = first[anon].anon_by_role[kind] / 1024, last[anon].anon_by_role[kind] / 1024
        print(f"  {anon} {kind}: {start:.1f} → {end:.1f}")
    print(f"database size: {database_sizes[0] / 2**20:.1f} → {database_sizes[1] / 2**20:.1f} MB")
    for log, lines in errors_in_logs.items():
        print(f"{log}: {len(lines)} error lines, e.g. {lines[:3]}")
    pss = max(WATCHED, key=lambda name: growth(first[name].pss_kb, last[name].pss_kb))
    print(
        f"RESULT minutes={minutes:.1f} max_pss_growth_pct={growth(first[pss].pss_kb, last[pss].pss_kb):.1f} ({pss}) "
        f"max_anon_growth_pct={growth(first[anon].anon_kb, last[anon].anon_kb):.1f} ({anon}) "
        f"log_errors={sum(len(lines) for lines in errors_in_logs.values())} lost={lost} dup={dup} "
        f"p99_first_ms={p99s[0] if p99s else 0:.0f} p99_last_ms={p99s[-1] if p99s else 0:.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30.0, help="measured time after the warm-up")
    parser.add_argument("--warm-up", type=float, default=180.0, help="seconds of load before the first sample")
    parser.add_argument("--interval", type=float, default=60.0, help="seconds between the progress lines")
    add_load_arguments(parser, rooms=30, send_every=10.0, students=30, lesson_students=15)
    args = parser.parse_args()
    require_root_in_private_network()
    asyncio.run(run(args))


if __name__ == "__main__":
    main()

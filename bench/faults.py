"""The fault suite, full size: the six faults of issue 13 against ``make cluster``'s layout under steady traffic.

One command, as root, inside the private network namespace (the students' media stays inside the machine)::

    unshare -n scripts/in-private-network.sh .venv/bin/python bench/faults.py

It starts the scaled layout (deploy.cluster: PostgreSQL and Redis on ``db``, daphne + a media worker on ``web1`` and
``web2``, Janus on ``sfu1``/``sfu2``, nginx on ``edge``; PostgreSQL with fsync, as in production), makes the
classes, and runs steady traffic through nginx (tests/support/traffic.py): chat clients in many rooms sending
with client ids, exam students streaming the benchmark clips with the project's VP8 replay (as
bench/proctor_load.py), and one lesson whose teacher and students join and rejoin, the teacher and one student
publishing an aiortc camera that the teacher and two students receive (the other students signal only). Then,
one after another (tests/support/faults.py): ``kill -9`` of web1's daphne, Redis restarted, PostgreSQL restarted,
``kill -9`` of the media worker holding the most students, ``kill -9`` of the lesson's Janus, web2 cut off for
20 s. Per fault: chat messages lost, duplicated and out of order (every send of the window followed to every
client of its room), episodes lost, how long until every client was back (a lesson participant with media: until
it decodes frames again), and the p99 delivery latency before (the baseline of the same run), during and after.
``--only Janus`` runs just the faults whose name has that word.

The last line is ``RESULT lost=<int> dup=<int> episodes_lost=<int> max_recovery_s=<float>``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.cluster import start_test_cluster  # noqa: E402
from tests.support.faults import TABLE_HEADER, FaultResult, all_faults, measure  # noqa: E402
from tests.support.traffic import (  # noqa: E402
    Traffic,
    add_load_arguments,
    plan_from_arguments,
    require_root_in_private_network,
)

SUBNET = "10.91.0.0/24"  # not the test runs' (a test run may use the machine meanwhile)


async def run(args: argparse.Namespace) -> list[FaultResult]:
    cluster, env = start_test_cluster(SUBNET, durable=True)
    traffic = None
    try:
        with tempfile.TemporaryDirectory() as folder:
            plan = plan_from_arguments(env, Path(folder), args)
        traffic = Traffic(cluster.url, plan)
        started = time.monotonic()
        await traffic.start()
        print(
            f"traffic up in {time.monotonic() - started:.0f} s: {len(traffic.chat_clients)} chat clients, "
            f"{len(plan.students)} exam students, lesson with {len(plan.lesson_cookies)} participants",
            flush=True,
        )
        await asyncio.sleep(args.warm_up)
        results = []
        for name, fault in all_faults(cluster, env, plan.exam, plan.lesson):
            if args.only and args.only.lower() not in name.lower():
                continue
            result = await measure(traffic, env, name, fault, plan.exam, args.before, args.after)
            print(result.row(), flush=True)
            results.append(result)
        return results
    finally:
        if traffic is not None:
            await traffic.stop()
        cluster.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_load_arguments(parser, rooms=20, send_every=5.0, students=10, lesson_students=5)
    parser.add_argument("--warm-up", type=float, default=10.0, help="seconds of traffic before the first fault")
    parser.add_argument("--before", type=float, default=15.0, help="seconds measured before each fault")
    parser.add_argument("--after", type=float, default=15.0, help="seconds measured after every client is back")
    parser.add_argument("--only", default="", help="run only the faults whose name has this word, e.g. Janus")
    args = parser.parse_args()
    require_root_in_private_network()
    results = asyncio.run(run(args))
    print()
    print(TABLE_HEADER)
    for result in results:
        print(result.row())
    recoveries = [r.recovery_s for r in results]
    worst = "none" if None in recoveries else f"{max(r for r in recoveries if r is not None):.1f}"
    print(
        f"RESULT lost={sum(r.lost for r in results)} dup={sum(r.duplicated for r in results)} "
        f"reordered={sum(r.reordered for r in results)} episodes_lost={sum(r.episodes_lost for r in results)} "
        f"max_recovery_s={worst}"
    )


if __name__ == "__main__":
    main()

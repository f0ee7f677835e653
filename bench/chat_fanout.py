"""Chat fan-out benchmark: /ws/chat/ on daphne against a bare `websockets` broadcast server.

One command (``.venv/bin/python bench/chat_fanout.py``) runs, in this order and in one run:

* the baseline — a bare ``websockets`` server that broadcasts each message to its room;
* Classroom Live, in-memory channel layer, 1 daphne process;
* Classroom Live, channels-redis on a real redis-server, 2 daphne processes (clients split between them);

each with two loads: N clients (default 1,000) in one room, and M rooms of 30 clients, messages sent at a
fixed rate. Every message carries its send time; each client records the delivery latency and which
seqs it received, so lost and duplicated deliveries are counted exactly. The database is SQLite, or with
``--db postgres`` a PostgreSQL server the bench starts (tests/support/postgres.py). The last line is
``RESULT ratio=<throughput / baseline> p99_ms=<float> lost=<int> send_cpu_ms=<float>``: the first three for the
1,000-client Redis run, ``send_cpu_ms`` the server CPU per stored message in the small rooms on one daphne
(the send path: store, publish, acknowledge, and 30 deliveries).

``--setups memory --loads small`` measures the send path alone (the fields the run did not measure are left out of
the RESULT line); ``--repeat N`` runs each load N times against the same servers and shows the median by CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import websockets

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench import setups  # noqa: E402
from bench.media import cpu_seconds  # noqa: E402
from tests.support.postgres import PostgresServer  # noqa: E402
from tests.support.servers import (  # noqa: E402 - the same real-server helpers the tests use
    DaphneServer,
    LiveEnvironment,
    RedisServer,
    free_port,
    stop,
    wait_for_port,
)

CONNECT_BATCH = 25
# The sender is one user posting to every room: lift the rate limits. Persistent database connections
# as in the production set-up (docker-compose.yml: DB_CONN_MAX_AGE=60).
SERVER_ENV = {
    "CHAT_RATE_PER_USER": "100000/1",
    "CHAT_RATE_PER_ROOM": "100000/1",
    "LOG_LEVEL": "WARNING",
    "DB_CONN_MAX_AGE": "60",
}


# -- the baseline: a bare websockets broadcast server speaking the same subset of the protocol ---------
async def serve_baseline(port: int) -> None:
    rooms: dict[int, set] = {}
    seqs: dict[int, int] = {}

    async def handler(ws) -> None:
        joined: list[int] = []
        try:
            async for raw in ws:
                frame = json.loads(raw)
                if frame["type"] == "subscribe":
                    for entry in frame["rooms"]:
                        rooms.setdefault(entry["room"], set()).add(ws)
                        joined.append(entry["room"])
                        await ws.send(json.dumps({"type": "subscribed", "room": entry["room"], "seq": 0}))
                elif frame["type"] == "send":
                    room = frame["room"]
                    seqs[room] = seq = seqs.get(room, 0) + 1
                    message = {"type": "message", "message": {"room": room, "seq": seq, "text": frame["text"]}}
                    websockets.broadcast(rooms.get(room, ()), json.dumps(message, separators=(",", ":")))
                    await ws.send(json.dumps({"type": "ack", "room": room, "seq": seq}))
        finally:
            for room in joined:
                rooms[room].discard(ws)

    async with websockets.serve(handler, "127.0.0.1", port, compression=None, max_queue=None):
        await asyncio.Future()


# -- load generation -------------------------------------------------------------------------------------
@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    received: int = 0
    duplicates: int = 0
    last_delivery: float = 0.0


@dataclass
class Client:
    ws: object
    room: int
    seqs: set[int] = field(default_factory=set)


async def connect(url: str, cookie: str | None, room: int, origin: str) -> Client:
    headers = {"Cookie": cookie} if cookie else {}
    for attempt in range(5):  # a loaded server may drop a handshake during the connection burst
        try:
            ws = await websockets.connect(
                url, additional_headers=headers, origin=origin, compression=None, max_size=2**22, open_timeout=60
            )
            break
        except (OSError, websockets.InvalidHandshake):
            if attempt == 4:
                raise
            await asyncio.sleep(0.5 * (attempt + 1))
    if cookie:  # Classroom Live greets first
        assert json.loads(await ws.recv())["type"] == "welcome"
    await ws.send(json.dumps({"type": "subscribe", "rooms": [{"room": room}]}))
    while (frame := json.loads(await ws.recv()))["type"] != "subscribed":
        if frame["type"] == "error":
            raise RuntimeError(f"subscribe refused: {frame}")
    return Client(ws, room)


async def listen(client: Client, tally: Tally) -> None:
    try:
        async for raw in client.ws:
            now = time.perf_counter()
            frame = json.loads(raw)
            if frame["type"] != "message":
                continue
            message = frame["message"]
            if message["seq"] in client.seqs:
                tally.duplicates += 1
                continue
            client.seqs.add(message["seq"])
            tally.received += 1
            tally.latencies.append(now - float(message["text"]))
            tally.last_delivery = now
    except websockets.ConnectionClosed:
        pass


async def drain_acks(ws) -> None:
    try:
        async for raw in ws:
            frame = json.loads(raw)
            if frame["type"] == "error":
                print(f"  sender got an error: {frame}", file=sys.stderr)
    except websockets.ConnectionClosed:
        pass


@dataclass
class Target:
    """Where clients connect: one or more servers (clients are spread round-robin)."""

    name: str
    ws_urls: list[str]
    cookies: dict[str, str] | None  # username -> session cookie (None for the baseline)
    pids: list[int]  # server processes, for their CPU time


async def run_load(target: Target, rooms: dict[int, list[str]], sender: str, rate: float, duration: float) -> dict:
    """``rooms``: room id -> usernames of its listeners; ``rate``: messages per second per room."""
    origin = "http://127.0.0.1"
    cookie = (lambda user: target.cookies[user]) if target.cookies else (lambda user: None)
    plan = [(room, user) for room, users in rooms.items() for user in users]
    clients: list[Client] = []
    for start in range(0, len(plan), CONNECT_BATCH):
        batch = plan[start : start + CONNECT_BATCH]
        clients += await asyncio.gather(
            *(
                connect(f"{target.ws_urls[(start + i) % len(target.ws_urls)]}/ws/chat/", cookie(user), room, origin)
                for i, (room, user) in enumerate(batch)
            )
        )
    tally = Tally()
    listeners = [asyncio.create_task(listen(c, tally)) for c in clients]
    sender_ws = await websockets.connect(
        f"{target.ws_urls[0]}/ws/chat/",
        additional_headers={"Cookie": cookie(sender)} if target.cookies else {},
        origin=origin,
        compression=None,
    )
    if target.cookies:
        await sender_ws.recv()  # welcome
    acks = asyncio.create_task(drain_acks(sender_ws))
    await asyncio.sleep(1.0)  # let connection bursts settle

    run_id = uuid.uuid4().hex[:8]  # client ids unique per run: a repeated run stores new messages, not resends
    sent_per_room = int(rate * duration)
    interval = 1.0 / (rate * len(rooms))
    cpu_before = sum(cpu_seconds(pid) for pid in target.pids)
    first_send = time.perf_counter()
    n = 0
    for round_ in range(sent_per_room):
        for room in rooms:
            due = first_send + n * interval
            if (delay := due - time.perf_counter()) > 0:
                await asyncio.sleep(delay)
            text = f"{time.perf_counter():.6f}"
            await sender_ws.send(
                json.dumps(
                    {"type": "send", "room": room, "client_id": f"{target.name}-{run_id}-{round_}", "text": text}
                )
            )
            n += 1
    stored = sent_per_room * len(rooms)
    expected = sum(sent_per_room * len(users) for users in rooms.values())
    # Wait for stragglers while deliveries keep coming (a slow server is late, not lossy); give up
    # after 5 s without progress: whatever has not arrived by then is counted as lost.
    progress_at, seen = time.perf_counter(), -1
    while tally.received < expected and time.perf_counter() - progress_at < 5:
        if tally.received != seen:
            progress_at, seen = time.perf_counter(), tally.received
        await asyncio.sleep(0.1)
    cpu_used = sum(cpu_seconds(pid) for pid in target.pids) - cpu_before
    for task in [*listeners, acks]:
        task.cancel()
    await asyncio.gather(*(c.ws.close() for c in clients), sender_ws.close(), return_exceptions=True)
    span = max(tally.last_delivery - first_send, 1e-9)
    latencies = sorted(tally.latencies) or [float("nan")]
    return {
        "deliveries_per_s": tally.received / span,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
        "lost": expected - tally.received,
        "duplicates": tally.duplicates,
        "expected": expected,
        "cpu_ms_per_1000": 1e6 * cpu_used / max(tally.received, 1),
        "cpu_ms_per_message": 1e3 * cpu_used / max(stored, 1),
    }


# -- Classroom Live set-up ---------------------------------------------------------------------------------
def prepare(var_dir: Path, args: argparse.Namespace, database_url: str | None) -> tuple[LiveEnvironment, dict]:
    live = LiveEnvironment.create(var_dir, database_url=database_url)
    return live, live.call(setups.chat_rooms, big=args.clients, small_count=args.rooms, small_size=args.room_size)


def room_plan(setup: dict, args: argparse.Namespace) -> tuple[dict, dict]:
    big = {setup["rooms"]["big"]: [f"bench-big-{i}" for i in range(args.clients)]}
    small = {
        room: [f"bench-small-{r}-{i}" for i in range(args.room_size)] for r, room in enumerate(setup["rooms"]["small"])
    }
    return big, small


async def measure(target: Target, big: dict, small: dict, args: argparse.Namespace) -> dict[str, dict]:
    """Each load ``--repeat`` times against the same servers; the run with the median server CPU per message."""
    plans = {"big": (big, args.rate), "small": (small, args.small_rate)}
    results = {}
    for load in ("big", "small"):
        if load in args.loads:
            rooms, rate = plans[load]
            runs = [await run_load(target, rooms, "bench-sender", rate, args.duration) for _ in range(args.repeat)]
            runs.sort(key=lambda run: run["cpu_ms_per_message"])
            results[load] = runs[len(runs) // 2]
    return results


def print_rows(setup: str, loads: dict[str, str], results: dict[str, dict], baseline: dict[str, dict]) -> None:
    for load, result in results.items():
        print_row(setup, loads[load], result, baseline.get(load))


def print_row(setup: str, load: str, result: dict, baseline: dict | None) -> None:
    ratio = result["deliveries_per_s"] / baseline["deliveries_per_s"] if baseline else 1.0
    print(
        f"| {setup:<34} | {load:<22} | {result['deliveries_per_s']:>10,.0f} | {ratio:>6.2f} "
        f"| {result['p50_ms']:>7.1f} | {result['p99_ms']:>7.1f} | {result['lost']:>5} | {result['duplicates']:>4} "
        f"| {result['cpu_ms_per_1000']:>6.0f} | {result['cpu_ms_per_message']:>6.2f} |",
        flush=True,
    )


async def main_async(args: argparse.Namespace) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, 65536) if hard != resource.RLIM_INFINITY else 65536
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))  # inherited by the servers

    postgres = PostgresServer.start() if args.db == "postgres" else None
    try:
        await run_all(args, postgres.create_database("bench") if postgres else None)
    finally:
        if postgres:
            postgres.stop()


async def run_all(args: argparse.Namespace, database_url: str | None) -> None:
    with tempfile.TemporaryDirectory(prefix="chat-bench-") as tmp:
        print(f"setting up {args.clients} + {args.rooms}×{args.room_size} users …", file=sys.stderr, flush=True)
        live, setup = prepare(Path(tmp), args, database_url)
        big, small = room_plan(setup, args)
        loads = {
            "big": f"1 room × {args.clients} @ {args.rate:g}/s",
            "small": f"{args.rooms} rooms × {args.room_size} @ {args.small_rate:g}/s",
        }
        print(f"database: {args.db}")
        print(
            "| setup | load | deliveries/s | ratio | p50 ms | p99 ms | lost | dup | server CPU ms / 1,000 "
            "| server CPU ms / message |"
        )
        print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")

        baseline: dict[str, dict] = {}
        if "baseline" in args.setups:
            port = free_port()
            baseline_proc = subprocess.Popen([sys.executable, __file__, "--serve-baseline", str(port)])
            try:
                wait_for_port(port, baseline_proc, what="baseline server")
                baseline = await measure(
                    Target("baseline", [f"ws://127.0.0.1:{port}"], None, [baseline_proc.pid]), big, small, args
                )
            finally:
                stop(baseline_proc)
            print_rows("bare websockets (baseline)", loads, baseline, {})

        memory: dict[str, dict] = {}
        if "memory" in args.setups:
            server = DaphneServer.start(live, extra_env=SERVER_ENV)
            try:
                memory = await measure(
                    Target("memory", [server.ws_url], setup["cookies"], [server.process.pid]), big, small, args
                )
            finally:
                server.stop()
            print_rows("Classroom Live, in-memory, 1 daphne", loads, memory, baseline)

        clustered: dict[str, dict] = {}
        if "redis" in args.setups:
            redis = RedisServer.start()
            servers = []
            try:
                servers = [DaphneServer.start(live, redis_url=redis.url, extra_env=SERVER_ENV) for _ in range(2)]
                clustered = await measure(
                    Target("redis", [s.ws_url for s in servers], setup["cookies"], [s.process.pid for s in servers]),
                    big,
                    small,
                    args,
                )
            finally:
                for s in servers:
                    s.stop()
                stop(redis.process)
            print_rows("Classroom Live, Redis, 2 daphne", loads, clustered, baseline)

    print("RESULT " + " ".join(result_fields(baseline, memory, clustered)))


def result_fields(baseline: dict[str, dict], memory: dict[str, dict], clustered: dict[str, dict]) -> list[str]:
    """The RESULT line's fields that this run measured (all of them with the default --setups and --loads)."""
    fields = []
    if "big" in clustered:
        result = clustered["big"]
        if "big" in baseline:
            fields.append(f"ratio={result['deliveries_per_s'] / baseline['big']['deliveries_per_s']:.2f}")
        fields += [f"p99_ms={result['p99_ms']:.1f}", f"lost={result['lost'] + result['duplicates']}"]
    if "small" in memory:
        fields.append(f"send_cpu_ms={memory['small']['cpu_ms_per_message']:.2f}")
    return fields


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=1000, help="clients in the one big room")
    parser.add_argument("--rate", type=float, default=10, help="messages per second in the big room")
    parser.add_argument("--rooms", type=int, default=10, help="number of small rooms")
    parser.add_argument("--room-size", type=int, default=30, help="clients per small room")
    parser.add_argument("--small-rate", type=float, default=5, help="messages per second in each small room")
    parser.add_argument("--duration", type=float, default=10, help="seconds of sending per load")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each load; the median (by CPU) is shown")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite", help="the servers' database")
    parser.add_argument(
        "--setups",
        type=lambda value: value.split(","),
        default=["baseline", "memory", "redis"],
        help="comma-separated subset of baseline,memory,redis (default: all three)",
    )
    parser.add_argument(
        "--loads",
        type=lambda value: value.split(","),
        default=["big", "small"],
        help="comma-separated subset of big,small (default: both; small alone measures the send path)",
    )
    parser.add_argument("--serve-baseline", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_baseline:
        asyncio.run(serve_baseline(args.serve_baseline))
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "server.settings")
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()

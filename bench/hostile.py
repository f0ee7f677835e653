"""Hostile client benchmark: what one account's flood costs the other students of the same daphne.

One command, run inside the private network namespace (WebRTC stays inside the machine)::

    unshare -n scripts/in-private-network.sh .venv/bin/python bench/hostile.py

The class of bench/proctor_load.py (N students streaming a testdata clip at the analysis grade, sessions running,
daphne with its embedded media worker and analyst on CPU 0, the senders on CPU 1), measured twice in one run:

* baseline: the N students alone;
* hostile: the same N while two more students of the exam attack for the whole window: one sends offers as fast
  as its socket takes them (a valid one-camera offer, again and again), the other offers ten cameras of
  640x480 VP8 (pre-encoded, so the attacker spends no CPU encoding) once a second and streams them if answered.

Per run it prints daphne's resident memory (VmRSS) at the start of the window and its peak, the frames analysed
per second per good student (the scheduler's ``proctor-stats`` lines), and what the attackers got back (error
frames by code, answers). The last line is
``RESULT rss_growth_mb=<float> analysed_fps_baseline=<float> analysed_fps_hostile=<float> hostile_offers=<int>``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.media import encode_clip  # noqa: E402
from bench.proctor_load import (  # noqa: E402
    CLIPS,
    PRIORITY_BOOST,
    SENDER_CPU,
    STATS_SECONDS,
    SimulatedStudents,
    clip_path,
    create_class,
    pin_server,
    require_bench_machine,
    stats_lines,
)
from proctor.policy import Policy  # noqa: E402
from tests.support.servers import DaphneServer, LiveEnvironment  # noqa: E402

HOSTILE_TRACKS = 10
HOSTILE_FPS = 10  # each of the ten cameras


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@dataclass
class Run:
    students: int
    hostile: bool
    rss_start: float = 0.0
    rss_peak: float = 0.0
    analysed_fps: float = 0.0
    offers_sent: int = 0
    replies: Counter[str] = field(default_factory=Counter)  # what the attackers got: error codes, "answer"


def socket_url(server: DaphneServer, session: int) -> str:
    return server.ws_url + f"/ws/rtc/sessions/{session}/"


async def attack(server: DaphneServer, flooder: dict, multicam: dict, packets: list[bytes], run: Run) -> None:
    """Both attackers until cancelled; every frame they get back is counted in ``run.replies``."""
    import websockets
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription, VideoStreamTrack

    from bench.replay import send_replay

    async def connect(student: dict) -> websockets.ClientConnection:
        ws = await websockets.connect(
            socket_url(server, student["session"]),
            additional_headers={"Cookie": f"sessionid={student['cookie']}"},
            origin=server.url,
            max_size=2**22,
        )
        await ws.recv()  # session.state
        return ws

    async def count_replies(ws, on_answer=None) -> None:
        async for raw in ws:
            frame = json.loads(raw)
            run.replies[frame.get("error", frame["type"])] += 1
            if frame["type"] == "answer" and on_answer is not None:
                await on_answer(frame["sdp"])

    camera = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    camera.addTrack(VideoStreamTrack())
    await camera.setLocalDescription(await camera.createOffer())
    one_camera = json.dumps({"type": "offer", "sdp": camera.localDescription.sdp})

    flood_ws, multicam_ws = await connect(flooder), await connect(multicam)
    pcs: list = [camera]

    async def flood() -> None:
        while True:
            await flood_ws.send(one_camera)
            run.offers_sent += 1
            if run.offers_sent % 50 == 0:
                await asyncio.sleep(0)  # let the reader drain the answers

    async def offer_ten_cameras() -> None:
        while True:
            pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
            for _ in range(HOSTILE_TRACKS):
                send_replay(pc, packets, HOSTILE_FPS)
            await pc.setLocalDescription(await pc.createOffer())
            pcs.append(pc)
            await multicam_ws.send(json.dumps({"type": "offer", "sdp": pc.localDescription.sdp}))
            run.offers_sent += 1
            await asyncio.sleep(1.0)

    async def stream_ten(sdp: str) -> None:
        await pcs[-1].setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))

    tasks = [
        asyncio.ensure_future(count_replies(flood_ws)),
        asyncio.ensure_future(count_replies(multicam_ws, stream_ten)),
        asyncio.ensure_future(flood()),
        asyncio.ensure_future(offer_ten_cameras()),
    ]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*(pc.close() for pc in pcs), return_exceptions=True)
        await flood_ws.close()
        await multicam_ws.close()


async def measure(live: LiveEnvironment, setup: dict, count: int, hostile: bool, packets: list[bytes], args) -> Run:
    env = {
        "PROCTOR_STATS_SECONDS": str(STATS_SECONDS),
        "PROCTOR_RESUME_GRACE_SECONDS": "3600",
        "PROCTOR_ANALYSIS_WORKERS": "1",
        "LOG_LEVEL": "INFO",
    }
    server = DaphneServer.start(live, extra_env=env)
    pin_server(server.process.pid)
    run = Run(count, hostile)
    good, (flooder, multicam) = setup["students"][:count], setup["students"][count : count + 2]
    simulated = SimulatedStudents(server.url, good, args.rate)
    attacker = None
    try:
        await simulated.start()
        await asyncio.sleep(args.warmup)
        pin_server(server.process.pid)  # the analyst process started with the first session
        offset = len(server.log())
        run.rss_start = run.rss_peak = rss_mb(server.process.pid)
        if hostile:
            attacker = asyncio.ensure_future(attack(server, flooder, multicam, packets, run))
        ends = time.monotonic() + args.seconds
        while time.monotonic() < ends:
            await asyncio.sleep(0.5)
            run.rss_peak = max(run.rss_peak, rss_mb(server.process.pid))
            if attacker is not None and attacker.done():
                attacker.result()  # an attacker that failed fails the benchmark
        lines = stats_lines(server.log(), offset)[1:]  # the first line started before the window
        span = max(1, len(lines)) * STATS_SECONDS * count
        run.analysed_fps = sum(s["processed"] for s in lines) / span
    finally:
        if attacker is not None:
            attacker.cancel()
            await asyncio.gather(attacker, return_exceptions=True)
        simulated.stop()
        server.stop()
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=10, help="well-behaved students")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured window per run")
    parser.add_argument("--warmup", type=float, default=8.0)
    parser.add_argument("--clips", default=CLIPS, help="testdata clips given to the students in turn")
    args = parser.parse_args()
    require_bench_machine("the simulated students and the attackers")
    try:
        os.nice(PRIORITY_BOOST)
    except PermissionError:
        print("note: not root, running at normal priority: other work on the machine distorts the figures")
    os.sched_setaffinity(0, {SENDER_CPU})  # the attackers run here, beside the simulated students
    policy = Policy.from_dict({})
    args.rate = policy.analysis_fps
    names = args.clips.split(",")
    packets = encode_clip(clip_path(names[0]), 640, 480, 10, 900_000)
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="hostile-") as tmp:
        live, setup = create_class(Path(tmp), names, args.students + 2, {})
        runs = [asyncio.run(measure(live, setup, args.students, hostile, packets, args)) for hostile in (False, True)]
    print()
    print(
        f"hostile: 1 daphne (embedded media worker) + 1 analyst on CPU 0, {args.students} students and the attackers "
        f"on CPU 1, {args.seconds:.0f} s windows, analysis {policy.analysis_fps:g}/s; "
        f"load average before the run {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} CPUs"
    )
    print(
        f"{'mode':<10}{'N':>4}{'RSS start MB':>14}{'RSS peak MB':>13}{'growth MB':>11}{'analysed/s':>12}  attackers got"
    )
    for run in runs:
        got = ", ".join(f"{code} {n}" for code, n in run.replies.most_common()) or "-"
        sent = f"{run.offers_sent} offers: " if run.hostile else ""
        mode = "hostile" if run.hostile else "baseline"
        print(
            f"{mode:<10}{run.students:>4}{run.rss_start:>14.0f}{run.rss_peak:>13.0f}"
            f"{run.rss_peak - run.rss_start:>11.1f}{run.analysed_fps:>12.2f}  {sent}{got}"
        )
    baseline, hostile = runs
    print(
        f"RESULT rss_growth_mb={hostile.rss_peak - hostile.rss_start:.1f} "
        f"analysed_fps_baseline={baseline.analysed_fps:.2f} analysed_fps_hostile={hostile.analysed_fps:.2f} "
        f"hostile_offers={hostile.offers_sent}"
    )


if __name__ == "__main__":
    main()

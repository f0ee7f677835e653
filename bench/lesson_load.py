"""Lesson load: one teacher publishing camera + screen through our signalling and Janus to N students.

One command, inside the private network namespace (media stays inside the machine)::

    unshare -n scripts/in-private-network.sh .venv/bin/python bench/lesson_load.py [--steps 10,20,30]

What it does, in one run:

* a fresh database (demo school, N extra students in 9А, a lesson that is on now), a real Janus started by
  ``rtc.janus`` exactly as ``make run`` does, and one daphne (the real server and signalling);
* the teacher: an aiortc client in this process that joins over ``/ws/lessons/<id>/`` and publishes a
  camera (carphone clip, 640x480 @ 15 fps, ~800 kbit/s) and a screen share (1280x720 @ 5 fps,
  ~600 kbit/s) as pre-encoded VP8, so the load generator spends no CPU encoding;
* each student: a separate process with an aiortc client that joins, subscribes to both feeds through our
  signalling and counts the video frames that arrive (RTP marker bits, not decoded);
* the baseline, in the same run: the server's CPU with the teacher publishing and no student;
* per step N: Janus's and daphne's CPU (from /proc, over a 10 s window) and, for every student and each of
  the two streams, received frames / sent frames in the same window.

The last line is ``RESULT students=<int> server_cores=<float> min_frame_ratio=<float>`` for the largest N.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench import setups  # noqa: E402
from bench.media import cpu_seconds, encode_clip  # noqa: E402
from tests.support.client import logged_in  # noqa: E402
from tests.support.janus import JanusServer  # noqa: E402
from tests.support.paths import testdata  # noqa: E402
from tests.support.servers import DaphneServer, LiveEnvironment  # noqa: E402

SOURCES = {"camera": (640, 480, 15, 800_000), "screen": (1280, 720, 5, 600_000)}
WINDOW_SECONDS = 10.0
SETTLE_SECONDS = 3.0


async def connect(url: str, cookie: str, lesson: int):
    import websockets

    return await websockets.connect(
        url.replace("http", "ws", 1) + f"/ws/lessons/{lesson}/",
        additional_headers={"Cookie": cookie},
        origin=url,
        max_size=2**22,
    )


async def next_of(ws, kind: str) -> dict:
    while True:
        message = json.loads(await ws.recv())
        if message["type"] == kind:
            return message
        if message["type"] == "error":
            raise RuntimeError(f"signalling error while waiting for {kind}: {message}")


async def drain(ws) -> None:
    """Read (and drop) participant lists etc.: a client that stops reading misses daphne's pings and is cut off."""
    import websockets

    with contextlib.suppress(websockets.ConnectionClosed):
        async for _ in ws:
            pass


# ----- the teacher (this process) -------------------------------------------------------------
class Teacher:
    def __init__(self) -> None:
        self.sent: dict[str, list[float]] = {source: [] for source in SOURCES}
        self.pcs: list = []
        self.ws = None
        self.drainer: asyncio.Future | None = None

    async def start(self, url: str, cookie: str, lesson: int) -> None:
        from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

        from bench.replay import send_replay

        clip = testdata("video/clips/carphone.mp4")
        sent = self.sent

        self.ws = await connect(url, cookie, lesson)
        await self.ws.send(json.dumps({"type": "join"}))
        await next_of(self.ws, "joined")
        for source in SOURCES:
            pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
            packets, fps = encode_clip(clip, *SOURCES[source]), SOURCES[source][2]
            send_replay(pc, packets, fps, on_sent=lambda times=sent[source]: times.append(time.time()))
            await pc.setLocalDescription(await pc.createOffer())
            await self.ws.send(json.dumps({"type": "publish", "source": source, "sdp": pc.localDescription.sdp}))
            answer = await next_of(self.ws, "published")
            await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
            self.pcs.append(pc)
        self.drainer = asyncio.ensure_future(self.drain())

    async def drain(self) -> None:
        await drain(self.ws)

    def sent_in(self, source: str, t0: float, t1: float) -> int:
        return sum(1 for t in self.sent[source] if t0 <= t < t1)

    async def stop(self) -> None:
        for pc in self.pcs:
            await pc.close()
        if self.ws is not None:
            await self.ws.close()


# ----- a student (separate process) --------------------------------------------------------------
def count_frames_without_decoding() -> None:
    """Replace aiortc's receive path for video: count frames (RTP marker bit, distinct timestamps) only."""
    from aiortc.rtcrtpreceiver import RTCRtpReceiver

    original = RTCRtpReceiver._handle_rtp_packet

    async def handle(self, packet, arrival_time_ms):
        codec = self._RTCRtpReceiver__codecs.get(packet.payload_type)
        if codec is None or codec.mimeType.lower() != "video/vp8":
            return await original(self, packet, arrival_time_ms)
        if packet.marker:
            seen = self.__dict__.setdefault("bench_seen", set())
            if packet.timestamp not in seen:
                seen.add(packet.timestamp)
                self.__dict__.setdefault("bench_frames", []).append(time.time())
        return None

    RTCRtpReceiver._handle_rtp_packet = handle


async def student(url: str, cookie: str, lesson: int) -> None:
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

    count_frames_without_decoding()
    ws = await connect(url, cookie, lesson)
    await ws.send(json.dumps({"type": "join"}))
    joined = await next_of(ws, "joined")
    feeds = {feed["id"]: feed["source"] for feed in joined["feeds"] if feed["role"] == "teacher"}
    receivers: dict[str, object] = {}
    pcs = []
    for feed, source in feeds.items():
        await ws.send(json.dumps({"type": "subscribe", "feed": feed}))
        offer = await next_of(ws, "offer")
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer["sdp"], type="offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        await ws.send(json.dumps({"type": "answer", "feed": feed, "sdp": pc.localDescription.sdp}))
        await next_of(ws, "started")
        receivers[source] = pc.getTransceivers()[0].receiver
        pcs.append(pc)

    def frames(source: str) -> list[float]:
        return receivers[source].__dict__.get("bench_frames", []) if source in receivers else []

    while not all(len(frames(s)) >= 5 for s in SOURCES):
        await asyncio.sleep(0.2)
    drainer = asyncio.ensure_future(drain(ws))
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    while True:
        line = (await loop.run_in_executor(None, sys.stdin.readline)).split()
        if not line or line[0] == "quit":
            break
        t0, t1 = float(line[1]), float(line[2])
        report = {s: sum(1 for t in frames(s) if t0 <= t < t1) for s in SOURCES}
        print(json.dumps(report), flush=True)
    for pc in pcs:
        await pc.close()
    await ws.close()
    await drainer


# ----- the run ----------------------------------------------------------------------------------
class StudentProcess:
    def __init__(self, url: str, cookie: str, lesson: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--student", url, cookie, str(lesson)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )

    def wait_ready(self) -> None:
        line = self.process.stdout.readline()
        if line.strip() != "ready":
            raise RuntimeError(f"student process failed (exit {self.process.poll()}): {line!r}")

    def report(self, t0: float, t1: float) -> dict[str, int]:
        self.process.stdin.write(f"report {t0} {t1}\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def stop(self) -> None:
        try:
            self.process.stdin.write("quit\n")
            self.process.stdin.flush()
            self.process.wait(10)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()


async def measure(teacher: Teacher, students: list[StudentProcess], pids: dict[str, int]) -> dict:
    await asyncio.sleep(SETTLE_SECONDS)
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    t0 = time.time()
    await asyncio.sleep(WINDOW_SECONDS)
    t1 = time.time()
    cores = {name: (cpu_seconds(pid) - before[name]) / (t1 - t0) for name, pid in pids.items()}
    sent = {s: teacher.sent_in(s, t0, t1) for s in SOURCES}
    ratios = []
    for number, process in enumerate(students, start=1):
        got = await asyncio.get_running_loop().run_in_executor(None, process.report, t0, t1)
        ratios += [got[s] / sent[s] for s in SOURCES if sent[s]]
        if any(got[s] < 0.9 * sent[s] for s in SOURCES):
            print(f"  student {number}: received {got} of {sent}", file=sys.stderr)
    return {"cores": cores, "sent": sent, "ratios": ratios}


async def run(args) -> None:
    steps = sorted({int(n) for n in args.steps.split(",")})
    with tempfile.TemporaryDirectory(prefix="lesson-load-") as tmp:
        live = LiveEnvironment.create(Path(tmp) / "var")
        lesson = live.call(setups.lesson_class, count=max(steps))
        janus = JanusServer.start(Path(tmp) / "janus")
        server = DaphneServer.start(live, extra_env={**janus.env, "LOG_LEVEL": "WARNING"})
        pids = {"janus": janus.running.process.pid, "daphne": server.process.pid}
        teacher = Teacher()
        students: list[StudentProcess] = []
        rows = []
        try:
            teacher_cookie = logged_in(server.url, "teacher").cookie_header
            await teacher.start(server.url, teacher_cookie, lesson)
            rows.append((0, await measure(teacher, [], pids)))
            for count in steps:
                new = [
                    StudentProcess(
                        server.url, logged_in(server.url, f"bench{n:02d}", "bench-pass").cookie_header, lesson
                    )
                    for n in range(len(students) + 1, count + 1)
                ]
                students += new
                for process in new:
                    await asyncio.get_running_loop().run_in_executor(None, process.wait_ready)
                rows.append((count, await measure(teacher, students, pids)))
        finally:
            for process in students:
                process.stop()
            await teacher.stop()
            server.stop()
            janus.stop()
    print_table(rows)


def print_table(rows: list[tuple[int, dict]]) -> None:
    baseline = sum(rows[0][1]["cores"].values())
    print(f"\nlesson load — {platform.node()}, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}")
    print(f"teacher: camera {SOURCES['camera'][:3]} + screen {SOURCES['screen'][:3]} (w, h, fps), VP8, no audio")
    print(
        f"{'students':>8} {'janus cores':>11} {'daphne cores':>12} {'server cores':>12} "
        f"{'per student':>11} {'sent fps cam/scr':>16} {'min ratio':>9} {'mean ratio':>10}"
    )
    for count, row in rows:
        total = sum(row["cores"].values())
        per_student = (total - baseline) / count if count else 0.0
        fps = "/".join(f"{row['sent'][s] / WINDOW_SECONDS:.1f}" for s in SOURCES)
        ratios = row["ratios"] or [float("nan")]
        print(
            f"{count:>8} {row['cores']['janus']:>11.3f} {row['cores']['daphne']:>12.3f} {total:>12.3f} "
            f"{per_student:>11.4f} {fps:>16} {min(ratios):>9.3f} {sum(ratios) / len(ratios):>10.3f}"
        )
    count, row = rows[-1]
    total = sum(row["cores"].values())
    print(f"(baseline: the teacher publishing to nobody costs the server {baseline:.3f} cores)")
    print(f"RESULT students={count} server_cores={total:.3f} min_frame_ratio={min(row['ratios'] or [0.0]):.3f}")


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--student":
        asyncio.run(student(sys.argv[2], sys.argv[3], int(sys.argv[4])))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", default="10,30", help="numbers of students to measure, e.g. 10,20,30")
    args = parser.parse_args()
    if not os.environ.get("CLASSROOM_PRIVATE_NETWORK"):
        sys.exit("run inside the private network namespace: unshare -n scripts/in-private-network.sh ...")
    asyncio.run(run(args))


if __name__ == "__main__":
    main()

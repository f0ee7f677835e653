"""Steady, measured traffic against a running cluster: chat clients, exam students and one lesson, all through nginx.

The fault suite (tests/reliability/test_faults.py, bench/faults.py) and the soak (bench/soak.py) drive the same
clients, which behave as the pages do:

* a chat client holds one socket subscribed to its room and sends a message now and then with its own
  ``client_id``; an ``unavailable`` or ``rate_limited`` error, an ack that does not come within
  ``ACK_TIMEOUT`` or a closed socket makes it resend the *same* ``client_id`` (after a reconnect for the last
  two) — the idempotent send keeps that exactly-once; after a reconnect it subscribes ``after`` its last seq
  and catches up. Every delivery is recorded: seqs (lost, duplicated, out of order) and the latency from the
  first attempt to send (the text carries its time);
* an exam student (separate processes, the project's own VP8 replay of a testdata clip, as in
  bench/proctor_load.py) reconnects its socket and offers again after ``media.lost``, ``media_timeout`` or a
  closed socket, as the exam page does;
* one lesson, whose participants signal as the lesson page does (tests/support/lesson_traffic.py: join, and join
  again after ``media.lost`` or a closed socket). The teacher and the first ``lesson_media`` students (2 by
  default) have real media, in a process of their own (tests/support/lesson_media.py): the teacher and the
  first student publish an aiortc camera (the testdata clip pre-encoded as VP8, 320x240 @ 15 fps, replayed as
  the exam students' clips are) into the lesson's Janus room, and each of them subscribes to the others' and
  decodes and counts the frames — as the page does, they publish and subscribe again after every rejoin. The
  other students join over the lesson socket only (signalling and Janus rooms, no media): media for all 15
  students of the soak would put 15 more aiortc receivers, each decoding two streams, on its 2-core machine
  beside the servers it measures, and a few show whether the lesson's media comes back as well as all would.

Each client is "down" from the moment it notices trouble (a socket closed, an ack overdue, an error frame, a
lost medium) until it works again (an ack, an answer, ``joined``; a lesson participant with media: when frames
come again from every other publisher, so a dead Janus is over when the lesson's media is back);
:meth:`Traffic.recovered` tells how long after a moment every client was back.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import statistics
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import websockets

from .lesson_media import media_entries, media_process
from .lesson_traffic import LessonParticipant
from .traffic_base import (
    RETRY_PAUSE,
    Availability,
    ClientState,
    ProcessClients,
    Reporter,
    open_socket,
    run_until_stopped,
)

if TYPE_CHECKING:
    from .servers import LiveEnvironment

ACK_TIMEOUT = 5.0  # seconds a chat client waits for its ack before it reconnects and resends
STUDENTS_PER_PROCESS = 10
LESSON_MEDIA_STUDENTS = 2  # lesson students with real media (the first publishes too); the others signal only
QUIET_SECONDS = 8.0  # a fault is over when every client has been up this long (media workers are dead after 4 s)


# ----- chat ------------------------------------------------------------------------------------------------
@dataclass
class Sent:
    client_id: str
    room: int
    first_at: float  # wall clock of the first attempt (in the text: the latency counts every retry)
    acked_at: float | None = None
    seq: int | None = None


@dataclass
class ChatTally:
    """What every chat client saw, for the whole run (the windows read slices of it)."""

    sent: list[Sent] = field(default_factory=list)
    deliveries: list[tuple[float, float]] = field(default_factory=list)  # (received at, latency)
    anomalies: list[tuple[float, str]] = field(default_factory=list)  # (at, "duplicate" / "reordered" / "gap" ...)
    errors: Counter[str] = field(default_factory=Counter)  # error codes received, e.g. unavailable


class ChatClient:
    def __init__(self, traffic: Traffic, name: str, room: int, cookie: str, send_every: float) -> None:
        self.traffic, self.name, self.room, self.cookie, self.send_every = traffic, name, room, cookie, send_every
        self.availability = Availability()
        self.start_seq: int | None = None  # the room's seq when the client first subscribed
        self.last_seq = 0
        self.received: set[int] = set()
        self.subscribed = asyncio.Event()
        self.pending: Sent | None = None
        self.answer: asyncio.Future[dict] | None = None
        self.count = 0

    @property
    def tally(self) -> ChatTally:
        return self.traffic.chat

    async def run(self) -> None:
        while not self.traffic.closing:
            try:
                ws = await open_socket(self.traffic.url, "/ws/chat/", self.cookie)
            except (TimeoutError, OSError, websockets.WebSocketException):
                self.availability.down(time.time())
                await asyncio.sleep(RETRY_PAUSE)
                continue
            try:
                await self.session(ws)
            except (TimeoutError, OSError, websockets.WebSocketException):
                pass
            finally:
                if not self.traffic.closing:
                    self.availability.down(time.time())
                    if ws.close_code is not None:
                        self.tally.errors[f"close {ws.close_code}"] += 1
                await ws.close()
            if not self.traffic.closing:
                await asyncio.sleep(RETRY_PAUSE)

    async def session(self, ws: websockets.ClientConnection) -> None:
        entry: dict[str, int] = {"room": self.room}
        if self.start_seq is not None:
            entry["after"] = self.last_seq
        self.subscribed.clear()
        reader = asyncio.ensure_future(self.read(ws))
        try:
            await ws.send(json.dumps({"type": "subscribe", "rooms": [entry]}))
            await self.wait_subscribed(reader)
            await self.send_loop(ws, reader)
        finally:
            reader.cancel()
            with contextlib.suppress(BaseException):
                await reader

    async def wait_subscribed(self, reader: asyncio.Future[None]) -> None:
        waiter = asyncio.ensure_future(self.subscribed.wait())
        try:
            await asyncio.wait([waiter, reader], timeout=15, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
        if not self.subscribed.is_set():
            raise ConnectionError(f"{self.name}: not subscribed")

    async def read(self, ws: websockets.ClientConnection) -> None:
        async for raw in ws:
            frame = json.loads(raw)
            kind = frame["type"]
            if kind == "message":
                self.delivered(frame["message"])
            elif kind == "subscribed":
                if self.start_seq is None:
                    self.start_seq = self.last_seq = frame["seq"]
                self.subscribed.set()
            elif kind in ("ack", "error") and self.answer is not None and not self.answer.done():
                self.answer.set_result(frame)
            elif kind == "error":
                self.tally.errors[frame["error"]] += 1
                if not self.subscribed.is_set():
                    return  # the subscription was refused (the database is restarting): reconnect

    def delivered(self, message: dict) -> None:
        now = time.time()
        seq = message["seq"]
        if self.start_seq is None or seq <= self.start_seq:
            return
        if seq in self.received:
            self.tally.anomalies.append((now, "duplicate"))
            return
        if seq < self.last_seq:
            self.tally.anomalies.append((now, "reordered"))
        elif seq > self.last_seq + 1:
            self.tally.anomalies.append((now, "gap"))
        self.received.add(seq)
        self.last_seq = max(self.last_seq, seq)
        self.traffic.stored(message["client_id"], seq)
        with contextlib.suppress(ValueError, IndexError):
            self.tally.deliveries.append((now, now - float(message["text"].rsplit(" ", 1)[1])))

    async def send_loop(self, ws: websockets.ClientConnection, reader: asyncio.Future[None]) -> None:
        if self.pending is None:  # spread the clients' first messages; a resend goes at once
            await asyncio.sleep(random.uniform(0, self.send_every))
        while True:
            if self.pending is None:
                if not self.traffic.sending:
                    await asyncio.sleep(0.2)
                    if reader.done():
                        return
                    continue
                self.count += 1
                self.pending = Sent(uuid.uuid4().hex, self.room, time.time())
                self.tally.sent.append(self.pending)
            sent = self.pending
            text = f"проверка {self.name} {self.count} {sent.first_at:.3f}"
            self.answer = asyncio.get_running_loop().create_future()
            await ws.send(json.dumps({"type": "send", "room": self.room, "client_id": sent.client_id, "text": text}))
            done, _ = await asyncio.wait(
                [self.answer, reader], timeout=ACK_TIMEOUT, return_when=asyncio.FIRST_COMPLETED
            )
            if self.answer not in done:
                self.tally.errors["ack_timeout" if not reader.done() else "closed"] += 1
                return  # reconnect, then resend the same client_id
            frame = self.answer.result()
            if frame["type"] == "error":
                self.tally.errors[frame["error"]] += 1
                self.availability.down(time.time())
                await asyncio.sleep(RETRY_PAUSE if frame["error"] == "unavailable" else 2.0)
                continue
            now = time.time()
            if sent.seq is not None and frame["seq"] != sent.seq:
                self.tally.anomalies.append((now, "resend stored twice"))
            sent.seq, sent.acked_at, self.pending = frame["seq"], sent.acked_at or now, None
            self.availability.up(now)
            await asyncio.sleep(self.send_every * random.uniform(0.5, 1.5))


# ----- exam students (separate processes) --------------------------------------------------------------------
def student_process(url: str, students: list[dict], reports: Any, stop: Any) -> None:
    asyncio.run(_students(url, students, reports, stop))


async def _students(url: str, students: list[dict], reports: Any, stop: Any) -> None:
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

    from bench.media import encode_clip
    from bench.proctor_load import clip_path
    from bench.replay import send_replay
    from proctor.media.grades import grade

    sent_grade = grade("analysis", 2.0)
    clips = {
        clip: encode_clip(clip_path(clip), sent_grade.width, sent_grade.height, sent_grade.fps, sent_grade.bitrate)
        for clip in {s["clip"] for s in students}
    }

    async def offer(ws: Any, entry: dict) -> Any:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        send_replay(pc, clips[entry["clip"]], sent_grade.fps)
        await pc.setLocalDescription(await pc.createOffer())
        await ws.send(json.dumps({"type": "offer", "sdp": pc.localDescription.sdp}))
        return pc

    async def connected(entry: dict, state: Reporter) -> None:
        session = entry["session"]
        ws = await open_socket(url, f"/ws/rtc/sessions/{session}/", f"sessionid={entry['cookie']}")
        pc = None
        try:
            await asyncio.wait_for(ws.recv(), 10)  # session.state
            pc = await offer(ws, entry)
            async for raw in ws:
                message = json.loads(raw)
                if message["type"] == "answer":
                    await pc.setRemoteDescription(RTCSessionDescription(sdp=message["sdp"], type="answer"))
                    state.up()
                elif message["type"] == "media.lost" or message["type"] == "error":
                    state.down()
                    if message["type"] == "error":
                        state.error(message["error"])
                        await asyncio.sleep(6.0 if message["error"] == "rate_limited" else 1.0)
                    await pc.close()
                    pc = await offer(ws, entry)
        finally:
            if pc is not None:
                await pc.close()
            await ws.close()

    async def student(entry: dict) -> None:
        state = Reporter(reports, entry["session"])
        while True:
            try:
                await connected(entry, state)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                state.error(type(error).__name__)
            state.down()
            await asyncio.sleep(RETRY_PAUSE)

    await run_until_stopped(stop, [student(s) for s in students])


# ----- all of it ---------------------------------------------------------------------------------------------
@dataclass
class Plan:
    """What to run: chat ``rooms`` (room id → its members' cookie headers), exam ``students`` (as
    bench.setups.exam_class gives them), a ``lesson`` and its participants' cookie headers (the teacher's first), of
    whom the teacher and ``lesson_media`` students have real media (tests/support/lesson_media.py)."""

    rooms: dict[int, list[str]]
    exam: int | None = None
    students: list[dict] = field(default_factory=list)
    lesson: int | None = None
    lesson_cookies: list[str] = field(default_factory=list)
    lesson_media: int = LESSON_MEDIA_STUDENTS
    send_every: float = 3.0  # seconds between one chat client's messages (on average)


def plan_on(
    env: LiveEnvironment,
    folder: Path,
    rooms: int,
    room_size: int,
    students: int,
    lesson_students: int,
    send_every: float,
    lesson_media: int = LESSON_MEDIA_STUDENTS,
) -> Plan:
    """Make the classes in the environment's database: ``rooms`` chat rooms of ``room_size`` clients, an exam of
    ``students`` enrolled students streaming the benchmark clips (reference photos written to ``folder``), and a
    lesson with the teacher and ``lesson_students`` students (none when 0), the teacher and ``lesson_media`` of them
    with real media."""
    from bench import setups
    from bench.proctor_load import CLIPS, reference_photo

    chat = env.call(setups.chat_rooms, big=0, small_count=rooms, small_size=room_size)
    plan = Plan(
        rooms={
            room: [chat["cookies"][f"bench-small-{r}-{i}"] for i in range(room_size)]
            for r, room in enumerate(chat["rooms"]["small"])
        },
        send_every=send_every,
        lesson_media=lesson_media,
    )
    if students:
        names = CLIPS.split(",")
        references = {name: str(reference_photo(name, folder)) for name in set(names)}
        exam = env.call(setups.exam_class, count=students, clips=[(n, references[n]) for n in names], policy={})
        plan.exam, plan.students = exam["exam"], exam["students"]
    if lesson_students:
        lesson = env.call(setups.lesson_with_participants, students=lesson_students)
        plan.lesson, plan.lesson_cookies = lesson["lesson"], lesson["cookies"]
    return plan


def add_load_arguments(
    parser: argparse.ArgumentParser, *, rooms: int, send_every: float, students: int, lesson_students: int
) -> None:
    """The traffic's size as command-line options, with the caller's defaults (bench/faults.py, bench/soak.py)."""
    parser.add_argument("--rooms", type=int, default=rooms, help="chat rooms")
    parser.add_argument("--room-size", type=int, default=10, help="chat clients per room (each sends)")
    parser.add_argument("--send-every", type=float, default=send_every, help="seconds between one client's messages")
    parser.add_argument("--students", type=int, default=students, help="exam students streaming")
    parser.add_argument(
        "--lesson-students", type=int, default=lesson_students, help="lesson participants besides the teacher"
    )
    parser.add_argument(
        "--lesson-media",
        type=int,
        default=LESSON_MEDIA_STUDENTS,
        help="lesson students with real media, like the teacher (the first publishes, all receive); the rest signal",
    )


def plan_from_arguments(env: LiveEnvironment, folder: Path, args: argparse.Namespace) -> Plan:
    """:func:`plan_on` sized by the options of :func:`add_load_arguments`."""
    return plan_on(
        env, folder, args.rooms, args.room_size, args.students, args.lesson_students, args.send_every, args.lesson_media
    )


def require_root_in_private_network() -> None:
    """The benchmarks start a cluster (network namespaces: root) and stream media (the private namespace)."""
    if os.getuid() != 0 or not os.environ.get("CLASSROOM_PRIVATE_NETWORK"):
        sys.exit("run as root inside the private network namespace: unshare -n scripts/in-private-network.sh ...")


class Traffic:
    def __init__(self, url: str, plan: Plan) -> None:
        self.url = url
        self.plan = plan
        self.chat = ChatTally()
        self.sending = False
        self.closing = False
        self.chat_clients = [
            ChatClient(self, f"{room}.{index}", room, cookie, plan.send_every)
            for room, cookies in plan.rooms.items()
            for index, cookie in enumerate(cookies)
        ]
        self.students = (
            ProcessClients(student_process, (url,), plan.students, "session", STUDENTS_PER_PROCESS)
            if plan.students
            else None
        )
        self.lesson_media: ProcessClients | None = None
        self.lesson_signalling: dict[int, ClientState] = {}  # by place in the plan's lesson cookies
        self.lesson_participants: list[LessonParticipant] = []
        if plan.lesson:
            media = media_entries(plan.lesson_cookies, plan.lesson_media)
            arguments = (url, plan.lesson)
            self.lesson_media = ProcessClients(media_process, arguments, media, "index", STUDENTS_PER_PROCESS)
            for index in range(len(media), len(plan.lesson_cookies)):
                state = self.lesson_signalling[index] = ClientState()
                self.lesson_participants.append(LessonParticipant(url, plan.lesson, plan.lesson_cookies[index], state))
        self.seqs_of: dict[str, set[int]] = {}  # client_id → every seq a message with it was delivered as
        self.tasks: list[asyncio.Future[None]] = []

    def stored(self, client_id: str, seq: int) -> None:
        self.seqs_of.setdefault(client_id, set()).add(seq)

    def lesson_states(self) -> dict[int, ClientState]:
        """Every lesson participant's state by its place in the plan's lesson cookies (0: the teacher)."""
        media = self.lesson_media.states if self.lesson_media is not None else {}
        return dict(sorted({**media, **self.lesson_signalling}.items()))

    def availabilities(self) -> dict[str, Availability]:
        found = {f"chat {c.name}": c.availability for c in self.chat_clients}
        found |= {f"lesson {i}": state.availability for i, state in self.lesson_states().items()}
        if self.students is not None:
            found |= {f"student {s}": a for s, a in self.students.availability.items()}
        return found

    async def start(self, timeout: float = 300.0) -> None:
        """Connect everyone; return once every chat client subscribed, every student streams and the lesson's
        participants joined (those with media receive it); then the chat clients start sending."""
        for processes in (self.students, self.lesson_media):
            if processes is not None:
                processes.start()
        for client in self.chat_clients:
            self.tasks.append(asyncio.ensure_future(client.run()))
            await asyncio.sleep(0.01)  # no connection burst
        self.tasks += [asyncio.ensure_future(participant.run()) for participant in self.lesson_participants]
        deadline = time.monotonic() + timeout
        while not self.all_up():
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"traffic not up within {timeout:.0f} s: {self.not_up()[:10]}; troubles: {dict(self.errors())}"
                )
            await asyncio.sleep(0.5)
        self.sending = True

    def all_up(self) -> bool:
        return all(c.start_seq is not None for c in self.chat_clients) and not self.not_up()

    def not_up(self) -> list[str]:
        return [name for name, availability in self.availabilities().items() if availability.down_since is not None]

    async def recovered(self, moment: float, timeout: float, quiet: float = QUIET_SECONDS) -> float | None:
        """Seconds from ``moment`` until every client was back, once all have been up for ``quiet`` seconds (a
        fault is noticed late: a dead media worker after its missed heartbeats, a dead Janus after its failed
        pings); None if some are not back within ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            availabilities = self.availabilities().values()
            backs = [a.back_after(moment) for a in availabilities]
            if all(back is not None for back in backs):
                last = max((back for back in backs if back is not None), default=0.0)
                if time.time() - (moment + last) >= quiet:
                    return last
            if time.monotonic() > deadline:
                return None
            await asyncio.sleep(0.5)

    async def settle(self, until: float, timeout: float = 60.0) -> None:
        """Wait until every send begun before ``until`` is acked and delivered to its room's clients (or time-out)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.missing(until, count_only=True):
            await asyncio.sleep(0.5)

    def missing(self, until: float, since: float = 0.0, count_only: bool = False) -> int:
        """Sends begun in [since, until) not acked, plus their deliveries missing from a client of the room."""
        sent = [s for s in self.chat.sent if since <= s.first_at < until]
        lost = sum(1 for s in sent if s.seq is None)
        seqs: dict[int, set[int]] = {}
        for s in sent:
            if s.seq is not None:
                seqs.setdefault(s.room, set()).add(s.seq)
        for client in self.chat_clients:
            lost += len(seqs.get(client.room, set()) - client.received)
            if count_only and lost:
                return lost
        return lost

    def doubled(self, since: float, until: float) -> int:
        """Sends begun in [since, until) stored more than once, plus deliveries of one seq twice to a socket."""
        stored_twice = sum(
            1 for s in self.chat.sent if since <= s.first_at < until and len(self.seqs_of.get(s.client_id, ())) > 1
        )
        return stored_twice + self.anomalies(since, until, "duplicate", "resend stored twice")

    def anomalies(self, since: float, until: float, *kinds: str) -> int:
        return sum(1 for at, kind in self.chat.anomalies if since <= at < until and kind in kinds)

    def p99_ms(self, since: float, until: float) -> float | None:
        latencies = [latency for at, latency in self.chat.deliveries if since <= at < until]
        if len(latencies) < 2:
            return None
        return 1000 * statistics.quantiles(latencies, n=100)[98]

    def deliveries(self, since: float, until: float) -> int:
        return sum(1 for at, _ in self.chat.deliveries if since <= at < until)

    def errors(self) -> Counter[str]:
        total = Counter(self.chat.errors)
        for state in self.lesson_states().values():
            total.update({f"lesson {k}": v for k, v in state.errors.items()})
        if self.students is not None:
            total.update({f"exam {k}": v for k, v in self.students.errors().items()})
        return total

    async def stop(self) -> None:
        self.sending = False
        self.closing = True
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        for processes in (self.students, self.lesson_media):
            if processes is not None:
                await asyncio.to_thread(processes.stop)

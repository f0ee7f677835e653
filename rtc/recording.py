"""Recording a peer's camera and microphone as received: encoded frames copied into a streaming WebM piece.

The frames come from :class:`rtc.forwarding.EncodedFrameTap` (VP8 from the video receiver, Opus from the audio
receiver), already reassembled by aiortc's jitter buffer: nothing is decoded or encoded, so a piece costs only
the muxing (PyAV: 0.04–0.08 ms of CPU per second for a camera at 2 fps and a microphone, docs/benchmarks.md), so
it runs on the event loop, and its file holds exactly what the student's browser sent at whatever grade the live
view asked for.

A piece must survive its process being killed: the Matroska muxer closes a cluster every ``CLUSTER_MS`` and
writes each packet through at once (``flush_packets``), so a file cut anywhere is readable up to its last
complete cluster (it then lacks only its duration and cues, which readers do without).

Times: each kind's first frame is laid at its arrival since the piece started (the piece's own clock); later frames
follow their RTP timestamps (90 kHz video, 48 kHz audio, unwrapped at 2^32), so the arrival jitter of one frame
never moves the others, and the gaps a quiet microphone leaves (Opus DTX, :mod:`rtc.opus`) stay gaps. The piece
starts with the camera's first keyframe (its size is the header's, and a player needs a keyframe first); audio
before it is dropped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
from aiortc.jitterbuffer import JitterFrame

from .forwarding import is_vp8_keyframe

log = logging.getLogger(__name__)

CLUSTER_MS = 2000  # a killed writer loses at most the cluster being written
MS = Fraction(1, 1000)
VIDEO_CLOCK = 90_000
AUDIO_CLOCK = 48_000
WRAP = 1 << 32
# RFC 7845 5.1 identification header: stereo (what browsers negotiate), 312 samples pre-skip, 48 kHz. WebM players
# need it as the track's CodecPrivate; a mono packet decodes fine on a stereo track.
OPUS_HEAD = b"OpusHead\x01\x02" + (312).to_bytes(2, "little") + AUDIO_CLOCK.to_bytes(4, "little") + b"\x00\x00\x00"


def vp8_size(keyframe: bytes) -> tuple[int, int]:
    """Width and height from a VP8 keyframe's header (RFC 6386 9.1: 14 bits each after the start code)."""
    return int.from_bytes(keyframe[6:8], "little") & 0x3FFF, int.from_bytes(keyframe[8:10], "little") & 0x3FFF


class _Clock:
    """Milliseconds on the piece's timeline of one kind's RTP timestamps."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self.start_ms: int | None = None
        self.first = 0
        self.last = 0
        self.cycles = 0
        self.last_ms = -1

    def ms(self, timestamp: int, arrived_ms: int) -> int | None:
        """The frame's time, or None if it does not come after the last one (a resent or reordered frame)."""
        if self.start_ms is None:
            self.start_ms, self.first, self.last = arrived_ms, timestamp, timestamp
        elif timestamp < self.last and self.last - timestamp > WRAP // 2:
            self.cycles += 1
        elif timestamp > self.last and timestamp - self.last > WRAP // 2:
            return None  # from before the last wrap
        self.last = timestamp
        at = self.start_ms + (timestamp + self.cycles * WRAP - self.first) * 1000 // self.rate
        if at <= self.last_ms:
            return None
        self.last_ms = at
        return at


class PieceWriter:
    """One WebM piece: the camera's VP8 frames and the microphone's Opus frames as they arrive (event loop)."""

    def __init__(
        self,
        path: Path,
        clock: Callable[[], float] = time.monotonic,
        started: float | None = None,
        with_audio: bool = True,
    ) -> None:
        self.path = path
        self._clock = clock  # seconds; when frames arrive (a replay in tests gives each frame's media time)
        self._started = clock() if started is None else started  # time 0 of the piece, on ``clock``
        self._with_audio = with_audio
        self._container: av.container.OutputContainer | None = None
        self._streams: dict[str, av.stream.Stream] = {}  # by kind, once the container is open
        self._clocks = {"video": _Clock(VIDEO_CLOCK), "audio": _Clock(AUDIO_CLOCK)}
        self.closed = False

    def _arrived_ms(self) -> int:
        return round((self._clock() - self._started) * 1000)

    def _open(self, keyframe: bytes) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        container = av.open(
            str(self.path),
            "w",
            format="webm",
            options={"cluster_time_limit": str(CLUSTER_MS), "flush_packets": "1"},
        )
        video = container.add_stream("libvpx")
        video.width, video.height = vp8_size(keyframe)
        video.time_base = MS
        self._container, self._streams = container, {"video": video}
        if self._with_audio:
            audio = container.add_stream("libopus", rate=AUDIO_CLOCK, layout="stereo")
            audio.codec_context.extradata = OPUS_HEAD
            audio.time_base = MS
            self._streams["audio"] = audio

    def video(self, frame: JitterFrame) -> None:
        """A sink for the camera's tap."""
        if self.closed:
            return
        if self._container is None:
            if not is_vp8_keyframe(frame.data):
                return
            self._open(frame.data)
        self._mux("video", frame)

    def audio(self, frame: JitterFrame) -> None:
        """A sink for the microphone's tap."""
        if not self.closed:
            self._mux("audio", frame)

    def _mux(self, kind: str, frame: JitterFrame) -> None:
        stream = self._streams.get(kind)
        if stream is None or self._container is None:
            return  # no keyframe yet
        at = self._clocks[kind].ms(frame.timestamp, self._arrived_ms())
        if at is None:
            return
        packet = av.Packet(frame.data)
        packet.stream, packet.pts, packet.dts, packet.time_base = stream, at, at, MS
        try:
            self._container.mux(packet)
        except av.error.FFmpegError:
            log.exception("recording %s: a %s frame could not be written; the piece ends here", self.path, kind)
            self.close()

    def close(self) -> None:
        """Finish the file (duration and cues); a piece that never saw a keyframe has no file."""
        if self.closed:
            return
        self.closed = True
        if self._container is not None:
            try:
                self._container.close()
            except av.error.FFmpegError:
                log.exception("recording %s: closing failed (the file is readable up to its last cluster)", self.path)

    @property
    def size(self) -> int:
        return self.path.stat().st_size if self.path.exists() else 0


class PieceRecorder:
    """One peer life of an attempt: the camera with the microphone in one piece, the shared screen (video only) in
    another, both on one clock from one time 0, so the screen lines up with the camera when they are joined."""

    def __init__(self, camera_path: Path, screen_path: Path, clock: Callable[[], float] = time.monotonic) -> None:
        started = clock()
        self.camera = PieceWriter(camera_path, clock, started)
        self.screen = PieceWriter(screen_path, clock, started, with_audio=False)

    def close(self) -> None:
        self.camera.close()
        self.screen.close()

    @property
    def size(self) -> int:
        return self.camera.size + self.screen.size

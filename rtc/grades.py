"""The video grades a student's browser sends, switched with ``RTCRtpSender.setParameters`` (no renegotiation).

aiortc decodes every received frame, so the sent grade is what limits students per core
(../shared/STACK.md; docs/benchmarks.md "Proctoring ingest"). The analysis grade is sized for the
vision engine: 4 fps is exactly twice the default analysis rate (every second frame is analysed, on an
even grid), and at 320x240 120 kbit/s keeps every scenario episode and every identity decision of
bench/accuracy.py's "as sent" runs. The live-view grade is sent only while a proctor watches.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Grade:
    width: int
    height: int
    fps: int
    bitrate: int  # bit/s

    def as_parameters(self) -> dict[str, int]:
        """What the exam page applies to its sender (web/static/js/exam.js ``applyGrade``)."""
        return {"maxWidth": self.width, "maxHeight": self.height, "maxFramerate": self.fps, "maxBitrate": self.bitrate}


GRADES = {
    "analysis": Grade(320, 240, 4, 120_000),
    "live": Grade(640, 480, 15, 900_000),
}

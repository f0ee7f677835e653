"""The video grades a student's browser sends, switched with ``RTCRtpSender.setParameters`` (no renegotiation).

aiortc decodes every received frame (VP8 delta frames need their predecessors), so the sent grade is
what limits students per core (docs/benchmarks.md "Proctoring ingest"). The
analysis grade therefore sends exactly the frames the vision engine analyses: the exam policy's
analysis rate, rounded up to whole frames per second, at 320x240 and a fixed bit budget per frame
(bench/accuracy.py's "as sent" runs keep every scenario episode and identity decision at it). The
live-view grade is sent only while a proctor watches.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TypedDict

ANALYSIS_WIDTH, ANALYSIS_HEIGHT = 320, 240
ANALYSIS_BITS_PER_FRAME = 40_000


class SenderParameters(TypedDict):
    """What the exam page applies to its sender (web/static/js/exam.js ``applyGrade``)."""

    maxWidth: int
    maxHeight: int
    maxFramerate: int
    maxBitrate: int  # bit/s


@dataclass(frozen=True)
class Grade:
    width: int
    height: int
    fps: int
    bitrate: int  # bit/s

    def as_parameters(self) -> SenderParameters:
        return {"maxWidth": self.width, "maxHeight": self.height, "maxFramerate": self.fps, "maxBitrate": self.bitrate}


LIVE = Grade(640, 480, 15, 900_000)


def analysis_grade(analysis_fps: float) -> Grade:
    """The grade for a policy analysing ``analysis_fps`` frames a second (at least one frame a second is sent,
    so a lost camera is noticed as quickly at any rate)."""
    fps = max(1, math.ceil(analysis_fps - 1e-6))
    return Grade(ANALYSIS_WIDTH, ANALYSIS_HEIGHT, fps, fps * ANALYSIS_BITS_PER_FRAME)


def grade(name: str, analysis_fps: float) -> Grade:
    """``"analysis"`` or ``"live"``."""
    return LIVE if name == "live" else analysis_grade(analysis_fps)

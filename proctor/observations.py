"""What the analyser saw on one analysed frame: the input of the episode engine."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass


@dataclass(frozen=True)
class Observation:
    """Measurements of one analysed frame at time ``t`` (seconds, monotonic within a session).

    ``identity`` is set only on frames where the face was compared with the reference
    (identity checks are periodic, not per frame). ``yaw`` is known whenever exactly one
    face is present (from YuNet's landmarks, refined by the FaceLandmarker where it ran);
    ``pitch`` and ``gaze`` only while a recent FaceLandmarker result applies.
    ``frame_ref`` is the caller's handle on the frame, handed back as episode evidence.
    """

    t: float
    faces: int
    identity: float | None = None
    yaw: float | None = None
    pitch: float | None = None
    gaze: float | None = None
    frame_ref: Hashable | None = None

"""Frame analysis for proctoring: which model runs on which frame, and the API for the live ingest.

Use from the live ingest (one :class:`SessionAnalyzer` per exam session; calls for one
session must not overlap, calls for different sessions may run on different threads)::

    from proctor.policy import Policy
    from proctor.vision.analyzer import SessionAnalyzer

    session = SessionAnalyzer(reference_embedding, Policy.from_dict(exam.policy))
    for t, frame in decoded_frames:                 # t: seconds, monotonic (e.g. pts * time_base)
        if session.due(t):                          # analysis rate: policy.analysis_fps
            events = session.analyze(frame.to_ndarray(format="bgr24"), t)
        else:
            events = session.skip(t)                # cheap: no conversion, no model
    events = session.tick(now)                      # from a timer while no frames arrive (camera_lost)
    events = session.set_state("tab_hidden", t, True)   # browser signals, see EpisodeEngine
    events = session.mark("copy_paste", t)
    events = session.finish(t)                      # closes what is open
    # every call returns a list of proctor.episodes.EpisodeEvent:
    #   event.action "opened" | "closed", event.episode (kind, start, end, peak), event.at,
    #   event.evidence: the BGR frame where the condition began, on "opened" (encode it to JPEG)

Frames passed to :meth:`SessionAnalyzer.analyze` may be kept (by reference) until they can no
longer become evidence: do not modify them afterwards.

What runs when (cost control, all thresholds in :class:`proctor.policy.Policy`):

* YuNet on every analysed frame, shrunk by a whole-number divisor that keeps a face of
  ``min_face_px`` (measured at the analysis grade's 320 px width) at ``DETECTOR_MIN_FACE_PX`` or more:
  320x240 -> 160x120 and the live grade's 640x480 -> 160x120 at the default 45 px.
* The human-face check (:mod:`proctor.vision.vetting`: SFace feature length, the landmarker in the
  grey zone) on each face that appears; a face that stays in place keeps its verdict
  (:class:`~proctor.vision.vetting.FaceTracks`), so a pet is not counted and the student is checked once.
* SFace identity only with exactly one face: at once when the face count changes to one,
  every ``identity_interval_s``, ``identity_retry_s`` after a failed check until the mismatch
  is confirmed (``identity_failures`` in a row), and when the face's colour histogram drifts
  from the one at the last check (``appearance_change``: a different person sitting down).
  Checks are at least ``identity_retry_s`` apart.
* FaceLandmarker only with exactly one face, where it changes the answer: YuNet's landmarks
  give yaw for free; if that yaw is clearly past the limit the head is turned away anyway;
  if it is near the limit (within ``YAW_AMBIGUITY_DEG``) the landmarker measures it. Pitch and
  eye gaze, which YuNet cannot see, are probed every ``landmarker_interval_s``; once a probe
  finds the student looking away, the landmarker follows up every ``LANDMARKER_MIN_GAP_S``
  until they look back, so the looking-away condition is measured densely only while it may
  be true. A result stands for at most ``LANDMARKER_MIN_GAP_S`` + one analysis interval.

:class:`FrameAnalyzer` is the plain alternative: every model on every call, no schedule.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Hashable
from dataclasses import replace

import cv2
import numpy as np

from ..episodes import EpisodeEngine, EpisodeEvent
from ..observations import Observation
from ..policy import DEFAULT_POLICY, Policy
from . import identity, landmarks, vetting
from .detection import DETECTOR_MIN_FACE_PX, Face, detect_faces

YAW_AMBIGUITY_DEG = 8.0  # coarse yaw error: rmse 3.2 deg against the landmarker on testdata photos
LANDMARKER_MIN_GAP_S = 1.0
ANALYSIS_WIDTH = 320  # the analysis grade's frame width, where Policy.min_face_px is measured
APPEARANCE_CROP = 1.5  # square crop side, in face box sizes, for the appearance histogram


def detection_scale(policy: Policy, frame_width: int) -> float:
    """How much YuNet's input is shrunk: ``1 / divisor`` for the largest whole divisor that still leaves a
    face of ``policy.min_face_px`` (at the analysis width) at least ``DETECTOR_MIN_FACE_PX`` wide.

    Whole divisors take OpenCV's fast area-resize path: shrinking 320x240 by 1/2 costs 0.03 ms, by
    1/2.25 0.5 ms, and YuNet itself is 1 ms slower on the odd size (2 cores, OpenCV 4.14).
    """
    face_px = policy.min_face_px * frame_width / ANALYSIS_WIDTH
    return 1.0 / max(1, int(face_px // DETECTOR_MIN_FACE_PX))


def appearance(frame: np.ndarray, face: Face) -> np.ndarray:
    """Hue/saturation histogram around the face (hair and clothes included).

    Robust to head motion, changes with the person: on the testdata videos, the same person
    against their first frame overlaps >= 0.83, a different person <= 0.56.
    """
    x, y, w, h = face.box
    half = APPEARANCE_CROP * max(w, h) / 2
    cx, cy = x + w / 2, y + h / 2
    x0, y0 = max(0, int(cx - half)), max(0, int(cy - half))
    x1, y1 = min(frame.shape[1], int(cx + half)), min(frame.shape[0], int(cy + half))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return np.full(32, 1 / 32, np.float32)
    hsv = cv2.cvtColor(cv2.resize(frame[y0:y1, x0:x1], (24, 24), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2HSV)
    hist = cv2.calcHist([hsv], [0, 1], None, [8, 4], [0, 180, 0, 256]).ravel()
    return hist / max(float(hist.sum()), 1.0)


def overlap(a: np.ndarray, b: np.ndarray) -> float:
    """Histogram intersection, 1 = same colours."""
    return float(np.minimum(a, b).sum())


class FrameAnalyzer:
    """Every model on every frame (no schedule): for single frames and as the cost baseline."""

    def __init__(self, reference: np.ndarray | None, policy: Policy = DEFAULT_POLICY, scale: float | None = None):
        """``scale``: a fixed detection scale (None: :func:`detection_scale` of each frame)."""
        self.reference = reference
        self.policy = policy
        self.scale = scale

    def analyze(self, frame: np.ndarray, t: float, frame_ref: Hashable | None = None) -> Observation:
        scale = detection_scale(self.policy, frame.shape[1]) if self.scale is None else self.scale
        faces = vetting.human_faces(frame, detect_faces(frame, scale))
        if len(faces) != 1:
            return Observation(t, len(faces), frame_ref=frame_ref)
        face = faces[0]
        score = identity.similarity(identity.embed(frame, face), self.reference) if self.reference is not None else None
        pose = landmarks.head_pose(frame, face)
        if pose is None:
            return Observation(t, 1, score, face.coarse_yaw(), frame_ref=frame_ref)
        return Observation(t, 1, score, pose.yaw, pose.pitch, pose.gaze, frame_ref)


class SessionAnalyzer:
    """One exam session: schedules the models per frame and feeds the episode engine."""

    def __init__(
        self,
        reference: np.ndarray | None,
        policy: Policy = DEFAULT_POLICY,
        start: float | None = None,
        camera_lost: bool = False,
    ):
        """``reference``: the student's normalised embedding (None: identity is not checked); ``start`` and
        ``camera_lost`` as in :class:`~proctor.episodes.EpisodeEngine`."""
        self.reference = reference
        self.policy = policy
        self.engine = EpisodeEngine(policy, start, camera_lost)
        self.counts: Counter[str] = Counter()  # frames analysed / skipped, identity checks, landmarker runs
        self._lock = threading.Lock()
        self._interval = 1.0 / policy.analysis_fps
        self._next_due: float | None = None
        self._sequence = 0
        self._frames: dict[Hashable, np.ndarray] = {}  # by the engine's evidence ref
        self._faces_before: int | None = None
        self._check_wanted = True
        self._last_check = -math.inf
        self._failed_checks = 0
        self._checked_look: np.ndarray | None = None
        self._landmarker_at = -math.inf
        self._pose: landmarks.HeadPose | None = None
        self._tracks = vetting.FaceTracks()

    # ----------------------------------------------------------------- frames

    def due(self, t: float) -> bool:
        """Whether the frame at ``t`` should be analysed (a fixed grid at ``analysis_fps``)."""
        return self._next_due is None or t >= self._next_due - 1e-9

    def analyze(self, frame: np.ndarray, t: float) -> list[EpisodeEvent]:
        with self._lock:
            if self._next_due is None:
                self._next_due = t
            while self._next_due <= t + 1e-9:
                self._next_due += self._interval
            observation = self._observe(frame, t)
            events = self.engine.observe(observation)
            self.counts["analysed"] += 1
            return self._attach_evidence(events)

    def skip(self, t: float) -> list[EpisodeEvent]:
        with self._lock:
            self.counts["skipped"] += 1
            return self._attach_evidence(self.engine.frame(t))

    def tick(self, t: float) -> list[EpisodeEvent]:
        with self._lock:
            return self._attach_evidence(self.engine.tick(t))

    def set_state(self, kind: str, t: float, active: bool) -> list[EpisodeEvent]:
        with self._lock:
            return self._attach_evidence(self.engine.set_state(kind, t, active))

    def mark(self, kind: str, t: float, value: float | None = None) -> list[EpisodeEvent]:
        with self._lock:
            return self._attach_evidence(self.engine.mark(kind, t, value))

    def finish(self, t: float) -> list[EpisodeEvent]:
        with self._lock:
            events = self._attach_evidence(self.engine.finish(t))
            self._frames.clear()
            return events

    # -------------------------------------------------------------- internals

    def _observe(self, frame: np.ndarray, t: float) -> Observation:
        detected = detect_faces(frame, detection_scale(self.policy, frame.shape[1]))
        faces = self._tracks.human_faces(frame, detected, t)
        self.counts["vetting"] = self._tracks.checks
        self._sequence += 1
        ref = self._sequence
        self._frames[ref] = frame
        count = len(faces)
        if count != self._faces_before:
            self._check_wanted = True  # the face count changed: whoever is there now gets checked
            self._failed_checks = 0
            self._pose = None
        self._faces_before = count
        if count != 1:
            return Observation(t, count, frame_ref=ref)
        face = faces[0]
        score = self._check_identity(frame, face, t)
        yaw, pitch, gaze = self._head(frame, face, t)
        return Observation(t, 1, score, yaw, pitch, gaze, ref)

    def _check_identity(self, frame: np.ndarray, face: Face, t: float) -> float | None:
        if self.reference is None:
            return None
        policy = self.policy
        since = t - self._last_check
        if since < policy.identity_retry_s - 1e-9:
            return None
        look = appearance(frame, face)
        drifted = self._checked_look is not None and overlap(look, self._checked_look) < policy.appearance_change
        confirming = 0 < self._failed_checks < policy.identity_failures
        if not (self._check_wanted or confirming or drifted or since >= policy.identity_interval_s):
            return None
        embedding = self._tracks.embedding(face)  # a face that just appeared was embedded by its check
        score = identity.similarity(embedding if embedding is not None else identity.embed(frame, face), self.reference)
        self.counts["identity"] += 1
        self._last_check, self._checked_look, self._check_wanted = t, look, False
        self._failed_checks = self._failed_checks + 1 if score < policy.identity_threshold else 0
        return score

    def _head(self, frame: np.ndarray, face: Face, t: float) -> tuple[float, float | None, float | None]:
        """Yaw, pitch, gaze of the single face, running the landmarker only where it changes the answer."""
        policy = self.policy
        coarse = face.coarse_yaw()
        distance = abs(coarse) - policy.yaw_limit_deg
        ambiguous = abs(distance) <= YAW_AMBIGUITY_DEG
        since = t - self._landmarker_at
        if distance > YAW_AMBIGUITY_DEG:
            run = False  # clearly turned away: the landmarker would not change the answer
        elif ambiguous or self._pose_is_away():
            run = since >= LANDMARKER_MIN_GAP_S - 1e-9  # measure / follow up densely
        else:
            run = policy.landmarker_interval_s > 0 and since >= policy.landmarker_interval_s - 1e-9  # probe
        if run:
            self._pose = landmarks.head_pose(frame, face)
            self.counts["landmarker"] += 1
            self._landmarker_at = t
        # A result stands for the frames until the next follow-up could run, never across a probe gap:
        # two sparse probes that both catch a glance must not join into one long looking-away.
        age = t - self._landmarker_at
        if self._pose is None or age > LANDMARKER_MIN_GAP_S + self._interval + 1e-9:
            return coarse, None, None
        yaw = self._pose.yaw if ambiguous else coarse
        return yaw, self._pose.pitch, self._pose.gaze

    def _pose_is_away(self) -> bool:
        pose, policy = self._pose, self.policy
        return pose is not None and (
            abs(pose.yaw) > policy.yaw_limit_deg
            or abs(pose.pitch) > policy.pitch_limit_deg
            or abs(pose.gaze) > policy.gaze_limit
        )

    def _attach_evidence(self, events: list[EpisodeEvent]) -> list[EpisodeEvent]:
        attached = [
            replace(e, evidence=self._frames.get(e.episode.evidence_ref)) if e.action == "opened" else e for e in events
        ]
        keep = self.engine.retained_refs()
        for ref in [r for r in self._frames if r not in keep]:
            del self._frames[ref]
        return attached

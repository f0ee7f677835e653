"""Is a detected face a person's? The second check every YuNet detection must pass before it is counted.

YuNet finds face-shaped patterns, and a frontal dog, cat or monkey face scores as high as a person's
(0.86-0.91 on bench/data/faces_negatives), so its score alone cannot keep a pet from becoming
``multiple_faces`` or from hiding ``no_face``. A detection counts as a face only if:

1. **SFace sees a face** (embedding sanity): the length of SFace's raw feature for the aligned crop is at
   least :data:`HUMAN_FEATURE_MIN`. SFace was trained on people only; its feature is long for a human face
   and short for what merely looks like one. Measured on the project's own photos (never on the
   negatives): every human face of 25 px and more is >= 7.24 (the lowest, a 32 px face in a group
   photo); frontal faces shrunk to 30-250 px and re-encoded as JPEG are >= 8.74. Cats, cartoon animals
   and most dogs are 4.5-7.
2. **In the grey zone, both detectors are sure**: a feature shorter than :data:`HUMAN_FEATURE_SURE`
   (small, blurred or turned faces, and dogs, whose features are 7.3-8.7 in a 320x240 webcam frame) also
   needs a YuNet score of at least :data:`GREY_ZONE_SCORE_MIN` (0.9, opencv_zoo's own default threshold)
   and MediaPipe's FaceLandmarker (its own detector and face mesh) finding a face with its nose tip inside
   the YuNet box. Human faces in the grey zone on the project's photos score 0.91-0.93; the one webcam
   clip that enters it (carphone, a blurred QCIF clip, 2.5-3.9 s) scores 0.88-0.92, and its face is
   already vetted by then (see :class:`FaceTracks`); the dogs score 0.75-0.89.

Pictures of people (posters, paintings, photos, a face on a screen) pass: they are human faces, and one
frame cannot tell a printed face from a present one; see docs/proctoring-engine.md for why that is the
wanted answer. Known misses (docs/accuracy.md): a capuchin monkey's face (SFace rates it human), and a
dog beside a person whose YuNet score just reaches 0.9 in the grey zone.

Cost: one SFace forward per detection (17-25 ms on 2 cores) and a landmarker run (~8-12 ms) in the grey
zone; a face that just appeared lends that SFace run to the identity check (:meth:`FaceTracks.embedding`).
:class:`FaceTracks` carries a verdict from frame to frame while a face stays in place, so a session pays
it when a face appears, not on every analysed frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import identity, landmarks
from .detection import Face

HUMAN_FEATURE_MIN = 7.0  # below every human face measured (7.24); cats and cartoon animals 4.5-5.9
HUMAN_FEATURE_SURE = 9.0  # frontal human faces of 30 px and more: >= 8.74 (shrunk testdata photos, JPEG 75)
GREY_ZONE_SCORE_MIN = 0.9  # YuNet score needed in the grey zone (opencv_zoo's default threshold)
TRACK_IOU = 0.3  # a face this much overlapping one of the previous analysed frame is the same face
REJECTED_RECHECK_S = 1.0  # a face judged not human is checked again after this long


@dataclass(frozen=True)
class Vetting:
    """The verdict on one detection and what decided it."""

    human: bool
    feature_length: float
    landmarker: bool | None = None  # None: not asked (the feature length or the YuNet score decided)
    # The identity embedding of a human face, for free: the same SFace run on the same aligned crop.
    embedding: np.ndarray | None = field(default=None, repr=False, compare=False)


def vet(frame: np.ndarray, face: Face) -> Vetting:
    """Whether ``face`` (a YuNet detection in ``frame``) is a person's face."""
    feature = identity.raw_feature(identity.aligned_crop(frame, face))
    length = float(np.linalg.norm(feature))
    if length < HUMAN_FEATURE_MIN:
        return Vetting(False, length)
    embedding = identity.normalise(feature)
    if length >= HUMAN_FEATURE_SURE:
        return Vetting(True, length, embedding=embedding)
    if face.score < GREY_ZONE_SCORE_MIN:
        return Vetting(False, length)
    confirmed = landmarks.confirms(frame, face)
    return Vetting(confirmed, length, confirmed, embedding if confirmed else None)


def human_faces(frame: np.ndarray, faces: list[Face]) -> list[Face]:
    """The detections that are people's faces, in their order."""
    return [face for face in faces if vet(frame, face).human]


def iou(a: Face, b: Face) -> float:
    ax, ay, aw, ah = a.box
    bx, by, bw, bh = b.box
    inter = max(0.0, min(ax + aw, bx + bw) - max(ax, bx)) * max(0.0, min(ay + ah, by + bh) - max(ay, by))
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0


class FaceTracks:
    """Verdicts carried across the analysed frames of one video or session.

    A detection that overlaps (IoU >= :data:`TRACK_IOU`) a face of the previous analysed frame is the same
    face and keeps its verdict, so the check runs when a face appears, not on every frame, and a student
    turning their head (a shorter SFace feature) stays a face. A rejected face is looked at again every
    :data:`REJECTED_RECHECK_S`: a person first seen blurred or turned away is counted once they are seen
    well, at the cost of one check per second while something face-like but not human stays in view.
    A face missing from one analysed frame is checked again when it comes back.
    """

    def __init__(self) -> None:
        self._previous: list[tuple[Face, bool, float]] = []  # face, human, when checked
        self._fresh: list[tuple[Face, np.ndarray]] = []  # faces checked on the latest frame, their embeddings
        self.checks = 0  # vettings run (for cost accounting)

    def human_faces(self, frame: np.ndarray, faces: list[Face], t: float) -> list[Face]:
        """The faces of the frame at ``t`` (seconds) that are people's, in their order."""
        current: list[tuple[Face, bool, float]] = []
        self._fresh = []
        for face in faces:
            carried = self._carried(face, t)
            if carried is None:
                verdict = vet(frame, face)
                self.checks += 1
                carried = (verdict.human, t)
                if verdict.embedding is not None:
                    self._fresh.append((face, verdict.embedding))
            current.append((face, *carried))
        self._previous = current
        return [face for face, human, _ in current if human]

    def embedding(self, face: Face) -> np.ndarray | None:
        """The identity embedding of ``face`` if it was checked on the latest frame (saves an SFace run)."""
        return next((embedding for checked, embedding in self._fresh if checked is face), None)

    def _carried(self, face: Face, t: float) -> tuple[bool, float] | None:
        best = max(self._previous, key=lambda previous: iou(face, previous[0]), default=None)
        if best is None or iou(face, best[0]) < TRACK_IOU:
            return None
        _, human, checked = best
        if not human and t - checked >= REJECTED_RECHECK_S - 1e-9:
            return None
        return human, checked

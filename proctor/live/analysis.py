"""Per-frame face analysis used by the live pipeline: face count and match against the reference.

This is the narrow interface the live pipeline needs from the vision engine
(`FrameAnalyser.analyse`); one analyser per worker thread, because OpenCV DNN
networks are not safe to share between threads.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import cv2
import numpy as np

import models

SAME_PERSON_COSINE = 0.363  # opencv_zoo threshold for SFace
DETECT_SCORE = 0.7


@dataclass(frozen=True)
class Observation:
    faces: int
    match: float | None = None  # cosine similarity with the reference, when computed


class FrameAnalyser:
    def __init__(self) -> None:
        self.detector = cv2.FaceDetectorYN.create(str(models.path("yunet")), "", (320, 240), DETECT_SCORE)
        self.recognizer = cv2.FaceRecognizerSF.create(str(models.path("sface")), "")

    def detect(self, bgr: np.ndarray) -> np.ndarray:
        height, width = bgr.shape[:2]
        self.detector.setInputSize((width, height))
        _, faces = self.detector.detect(bgr)
        return faces if faces is not None else np.zeros((0, 15), np.float32)

    def embedding(self, bgr: np.ndarray, face: np.ndarray) -> np.ndarray:
        aligned = self.recognizer.alignCrop(bgr, face)
        return self.recognizer.feature(aligned).flatten().copy()

    def analyse(self, bgr: np.ndarray, reference: np.ndarray | None = None) -> Observation:
        """Count faces; with a reference embedding, also compare the single face to it."""
        faces = self.detect(bgr)
        if reference is None or len(faces) != 1:
            return Observation(len(faces))
        return Observation(1, cosine(self.embedding(bgr, faces[0]), reference))

    def reference_embedding(self, bgr: np.ndarray) -> np.ndarray:
        """The embedding of the one clear face in a reference photo; ValueError otherwise."""
        faces = self.detect(bgr)
        if len(faces) != 1:
            raise ValueError(f"на фото должно быть ровно одно лицо, найдено: {len(faces)}")
        width, height = faces[0][2], faces[0][3]
        if min(width, height) < 60:
            raise ValueError("лицо слишком маленькое: подойдите ближе к камере")
        return self.embedding(bgr, faces[0])


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-9))


_local = threading.local()


def thread_analyser() -> FrameAnalyser:
    """This thread's analyser (created on first use)."""
    analyser = getattr(_local, "analyser", None)
    if analyser is None:
        analyser = _local.analyser = FrameAnalyser()
    return analyser

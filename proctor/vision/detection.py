"""Face detection and counting with OpenCV YuNet (int8 model, see models/manifest.py).

YuNet reliably finds face boxes from about 14 px wide (measured on testdata photos
scaled down: 44/44 found at 14 px, 41/44 at 12 px), so a frame may be shrunk by
``DETECTOR_MIN_FACE_PX / min_face_px`` and still find every face of ``min_face_px``.
Its five landmarks give a coarse head yaw for free (:meth:`Face.coarse_yaw`).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import cv2
import numpy as np

from .runtime import model_buffer

SCORE_THRESHOLD = 0.7  # testdata: non-faces score <= 0.64, real faces >= 0.76
NMS_THRESHOLD = 0.3
DETECTOR_MIN_FACE_PX = 20  # smallest box we rely on at detection scale (14 px measured + margin)
NOSE_DEPTH_RATIO = 0.6  # nose-tip offset / eye distance = tan(yaw) * this (fit vs FaceLandmarker, rmse 3.2 deg)
BORDER_MARGIN = 0.02  # a box this close to the image edge counts as touching it
PHOTO_DETECT_SIDE = 640  # a portrait's main face is found as well on a copy this size, at a third of the cost


@dataclass(frozen=True)
class Face:
    """One detected face in frame pixels."""

    box: tuple[float, float, float, float]  # x, y, width, height
    landmarks: np.ndarray  # (5, 2): right eye, left eye, nose tip, right / left mouth corner
    score: float

    @property
    def size(self) -> float:
        """Box width in pixels (what "a face of N px" means throughout the engine)."""
        return self.box[2]

    @property
    def area(self) -> float:
        return self.box[2] * self.box[3]

    def as_yunet_row(self) -> np.ndarray:
        """The 15-float row OpenCV's FaceRecognizerSF.alignCrop expects."""
        return np.array([*self.box, *self.landmarks.ravel(), self.score], dtype=np.float32)

    def roll(self) -> float:
        """Angle of the eye line in degrees (0 = level)."""
        dx, dy = self.landmarks[1] - self.landmarks[0]
        return math.degrees(math.atan2(dy, dx))

    def coarse_yaw(self) -> float:
        """Head yaw in degrees from the five landmarks (sign: positive = nose towards image right).

        The landmarks are de-rotated so the eyes are level; the horizontal offset of the
        nose tip from the eye midpoint, over the eye distance, is ``tan(yaw) * NOSE_DEPTH_RATIO``.
        """
        angle = math.radians(self.roll())
        rotation = np.array([[math.cos(angle), math.sin(angle)], [-math.sin(angle), math.cos(angle)]])
        points = (self.landmarks - self.landmarks[:2].mean(axis=0)) @ rotation.T
        eye_distance = float(np.linalg.norm(self.landmarks[1] - self.landmarks[0]))
        if eye_distance < 1e-3:
            return 0.0
        return math.degrees(math.atan(points[2, 0] / eye_distance / NOSE_DEPTH_RATIO))

    def touches_border(self, width: int, height: int) -> bool:
        x, y, w, h = self.box
        mx, my = BORDER_MARGIN * width, BORDER_MARGIN * height
        return x < mx or y < my or x + w > width - mx or y + h > height - my

    def shifted(self, dx: float, dy: float) -> Face:
        x, y, w, h = self.box
        return Face((x + dx, y + dy, w, h), self.landmarks + np.array([dx, dy]), self.score)


_local = threading.local()


def _detector() -> cv2.FaceDetectorYN:
    """This thread's YuNet instance (OpenCV DNN nets must not be shared between threads)."""
    detector = getattr(_local, "detector", None)
    if detector is None:
        empty = np.zeros(0, np.uint8)
        detector = cv2.FaceDetectorYN.create(
            "onnx", model_buffer("yunet"), empty, (320, 320), SCORE_THRESHOLD, NMS_THRESHOLD, 5000
        )
        _local.detector = detector
        _local.size = (320, 320)
    return detector


def detect_faces(frame: np.ndarray, scale: float = 1.0) -> list[Face]:
    """All faces in a BGR frame, largest first, in the frame's own pixel coordinates.

    With ``scale`` < 1 the frame is shrunk (INTER_AREA) before detection: cost falls with
    the pixel count, and faces of ``DETECTOR_MIN_FACE_PX / scale`` px and more are still found.
    """
    image = frame
    if scale < 1.0:
        size = (max(1, round(frame.shape[1] * scale)), max(1, round(frame.shape[0] * scale)))
        image = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
    detector = _detector()
    size = (image.shape[1], image.shape[0])
    if _local.size != size:
        detector.setInputSize(size)
        _local.size = size
    _, rows = detector.detect(image)
    if rows is None:
        return []
    sx, sy = frame.shape[1] / image.shape[1], frame.shape[0] / image.shape[0]
    faces = [
        Face(
            (float(r[0] * sx), float(r[1] * sy), float(r[2] * sx), float(r[3] * sy)),
            r[4:14].reshape(5, 2).astype(np.float64) * np.array([sx, sy]),
            float(r[14]),
        )
        for r in rows
    ]
    return sorted(faces, key=lambda f: f.area, reverse=True)


def primary_face(image: np.ndarray) -> tuple[Face | None, list[Face]]:
    """The main (largest) face of a photo and all faces found.

    Tight crops where the face touches the image edge get poor landmarks from YuNet,
    which hurts alignment; for those the image is detected again inside a grey border
    (testdata pairs: lowest same-person score 0.14 -> 0.44 with this).
    """
    height, width = image.shape[:2]
    faces = detect_faces(image, min(1.0, PHOTO_DETECT_SIDE / max(height, width)))
    if faces and not faces[0].touches_border(width, height):
        return faces[0], faces
    border = max(height, width) // 4
    padded = cv2.copyMakeBorder(image, border, border, border, border, cv2.BORDER_CONSTANT, value=(127, 127, 127))
    scale = min(1.0, PHOTO_DETECT_SIDE / max(padded.shape[:2]))
    padded_faces = [f.shifted(-border, -border) for f in detect_faces(padded, scale)]
    if not padded_faces:
        return (faces[0] if faces else None), faces
    return padded_faces[0], (faces or padded_faces)

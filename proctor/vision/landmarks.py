"""Head pose and gaze with the MediaPipe FaceLandmarker (478 landmarks + head transform).

Costs ~10-13 ms of CPU per call whatever the input size (it runs its own detector and
a 256 px landmark net), so the session analyser calls it only where it changes the
answer; see :mod:`proctor.vision.analyzer`. Angles are in degrees with the same sign
convention as :meth:`Face.coarse_yaw` (positive yaw = nose towards image right).
"""

from __future__ import annotations

import atexit
import contextlib
import math
import os
import threading
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from .detection import Face
from .runtime import model_bytes

CROP_MARGIN = 1.0  # face box widths added on each side of the crop handed to the landmarker
# Eye corners (image-left, image-right) and iris centre for each eye, MediaPipe face mesh indices.
EYES = ((33, 133, 468), (362, 263, 473))
NOSE_TIP = 1


@dataclass(frozen=True)
class HeadPose:
    yaw: float
    pitch: float
    roll: float
    gaze: float  # horizontal iris offset from the eye centre, fraction of eye width (0 = straight, +-0.5 = corners)


_local = threading.local()
_instances: weakref.WeakSet = weakref.WeakSet()


@contextlib.contextmanager
def _native_stderr_silenced(active: bool) -> Iterator[None]:
    """MediaPipe's C++ side logs a few harmless lines on creation straight to fd 2."""
    if not active:
        yield
        return
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _landmarker(quiet: bool = False) -> Any:  # mediapipe's FaceLandmarker (untyped; imported lazily: ~0.7 s)
    landmarker = getattr(_local, "landmarker", None)
    if landmarker is None:
        from mediapipe.tasks.python import BaseOptions, vision

        options = vision.FaceLandmarkerOptions(
            base_options=BaseOptions(model_asset_buffer=model_bytes("face_landmarker")),
            running_mode=vision.RunningMode.IMAGE,
            num_faces=1,
            output_facial_transformation_matrixes=True,
        )
        with _native_stderr_silenced(quiet):
            landmarker = vision.FaceLandmarker.create_from_options(options)
        _local.landmarker = landmarker
        _instances.add(landmarker)
    return landmarker


@atexit.register
def _close_all() -> None:
    # Closing before interpreter teardown avoids MediaPipe's noisy __del__ at exit.
    for landmarker in list(_instances):
        landmarker.close()


def preload(quiet: bool = False) -> None:
    """Create this thread's landmarker now (``quiet``: hide MediaPipe's start-up log lines)."""
    _landmarker(quiet)


def head_pose(frame: np.ndarray, face: Face | None = None) -> HeadPose | None:
    """Pose and gaze of the face in ``frame`` (of ``face``, cropped around it, when given)."""
    result, (width, height), _ = _detect(frame, face)
    if not result.face_landmarks or not result.facial_transformation_matrixes:
        return None
    yaw, pitch, roll = _euler(np.asarray(result.facial_transformation_matrixes[0]))
    points = np.array([(p.x * width, p.y * height) for p in result.face_landmarks[0]])
    return HeadPose(yaw, pitch, roll, _gaze(points))


def confirms(frame: np.ndarray, face: Face) -> bool:
    """Whether the landmarker, on the crop around ``face``, finds a face whose nose tip lies inside ``face``'s box.

    The nose test keeps a person beside an animal from vouching for the animal: the crop
    around one box may hold another face.
    """
    result, (width, height), (x0, y0) = _detect(frame, face)
    if not result.face_landmarks:
        return False
    nose = result.face_landmarks[0][NOSE_TIP]
    x, y, w, h = face.box
    return x <= x0 + nose.x * width <= x + w and y <= y0 + nose.y * height <= y + h


def _detect(frame: np.ndarray, face: Face | None) -> tuple[Any, tuple[int, int], tuple[int, int]]:
    """The landmarker's result on ``frame`` or on the crop around ``face``, with the image's size and offset."""
    import mediapipe as mp

    image, offset = frame, (0, 0)
    if face is not None:
        x, y, w, h = face.box
        margin = CROP_MARGIN * max(w, h)
        x0, y0 = max(0, int(x - margin)), max(0, int(y - margin))
        x1, y1 = min(frame.shape[1], int(x + w + margin)), min(frame.shape[0], int(y + h + margin))
        if x1 - x0 >= 8 and y1 - y0 >= 8:
            image, offset = frame[y0:y1, x0:x1], (x0, y0)
    rgb = np.ascontiguousarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    result = _landmarker().detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb))
    return result, (rgb.shape[1], rgb.shape[0]), offset


def _euler(matrix: np.ndarray) -> tuple[float, float, float]:
    rotation = matrix[:3, :3]
    yaw = math.degrees(math.atan2(-rotation[2, 0], math.hypot(rotation[2, 1], rotation[2, 2])))
    pitch = math.degrees(math.atan2(rotation[2, 1], rotation[2, 2]))
    roll = math.degrees(math.atan2(rotation[1, 0], rotation[0, 0]))
    return yaw, pitch, roll


def _gaze(points: np.ndarray) -> float:
    offsets = []
    for left, right, iris in EYES:
        axis = points[right] - points[left]
        length = float(axis @ axis)
        if length > 1e-6:
            offsets.append(float((points[iris] - points[left]) @ axis) / length - 0.5)
    return float(np.mean(offsets)) if offsets else 0.0

"""Model bytes shared by every thread of the process.

Each model file is read (and its sha256 checked by :func:`models.path`) once per
process; the model modules build one inference object per thread from these bytes,
because OpenCV DNN nets and MediaPipe tasks are not safe to call concurrently.
"""

from __future__ import annotations

import threading
from functools import cache

import numpy as np

import models

_lock = threading.Lock()


@cache
def _read(name: str) -> bytes:
    return models.path(name).read_bytes()


def model_bytes(name: str) -> bytes:
    """The verified bytes of a manifest model (raises models.ModelError with the fetch command)."""
    with _lock:
        return _read(name)


def model_buffer(name: str) -> np.ndarray:
    """The same bytes as a uint8 array, the form OpenCV's ``create(framework, buffer, ...)`` takes."""
    return np.frombuffer(model_bytes(name), np.uint8)

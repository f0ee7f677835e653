"""Real models on real photos and videos from ../shared/testdata (no Django, no database)."""

from __future__ import annotations

import csv
import io
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from proctor.cli import analyze_video
from proctor.policy import DEFAULT_POLICY
from proctor.quality import assess, assess_file
from proctor.vision import identity
from proctor.vision.analyzer import SessionAnalyzer, detection_scale
from proctor.vision.detection import detect_faces
from proctor.vision.frames import InputError, VideoReader, load_image
from tests.support import paths


def labelled(folder: str) -> list[tuple[Path, int]]:
    labels = paths.testdata(f"faces/{folder}/labels.csv")
    with labels.open() as fh:
        return [(labels.parent / row["file"], int(row["faces"])) for row in csv.DictReader(fh)]


def jpeg_bytes(image: Image.Image, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=92, **params)
    return buffer.getvalue()


# ---------------------------------------------------------------- detection


@pytest.mark.parametrize(("path", "label"), labelled("multi"), ids=lambda v: getattr(v, "name", ""))
def test_group_photos_count_at_least_two_faces(path: Path, label: int) -> None:
    found = len(detect_faces(load_image(path, max_side=1280)))
    assert found >= 2
    assert abs(found - label) <= 1  # borderline faces are documented in PROVENANCE.md


def test_photos_without_people_count_no_face_and_portraits_one() -> None:
    for path, _ in labelled("none"):
        assert detect_faces(load_image(path, max_side=1280)) == [], path.name
    for path, _ in labelled("single"):
        assert len(detect_faces(load_image(path, max_side=1280))) == 1, path.name


def test_shrunk_detection_still_finds_a_45_px_face() -> None:
    photo = load_image(paths.testdata("faces/single/astronaut.png"))
    [face] = detect_faces(photo)
    small = cv2.resize(photo, None, fx=45 / face.size, fy=45 / face.size, interpolation=cv2.INTER_AREA)
    canvas = np.full((240, 320, 3), 90, np.uint8)
    height, width = min(small.shape[0], 220), min(small.shape[1], 280)
    canvas[10 : 10 + height, 20 : 20 + width] = small[:height, :width]
    assert detection_scale(DEFAULT_POLICY, 320) == 0.5  # the analysis grade is detected at 160x120
    [found] = detect_faces(canvas, detection_scale(DEFAULT_POLICY, 320))
    assert found.size == pytest.approx(45, abs=8)  # reported in the frame's own pixels
    live = cv2.resize(canvas, (640, 480), interpolation=cv2.INTER_LINEAR)  # the live grade, same face at 90 px
    assert detection_scale(DEFAULT_POLICY, 640) == 0.25
    [found] = detect_faces(live, detection_scale(DEFAULT_POLICY, 640))
    assert found.size == pytest.approx(90, abs=16)


# ----------------------------------------------------------------- identity


@pytest.fixture(scope="module")
def verify_embeddings() -> dict[str, np.ndarray]:
    with paths.testdata("faces/verify/pairs.csv").open() as fh:
        photos = {p for row in csv.DictReader(fh) for p in (row["a"], row["b"])}
    return {p: identity.photo_embedding(load_image(paths.testdata(p), max_side=1280)) for p in sorted(photos)}


def test_same_person_pairs_match_and_different_people_do_not(verify_embeddings: dict[str, np.ndarray]) -> None:
    threshold = DEFAULT_POLICY.identity_threshold
    wrong = []
    with paths.testdata("faces/verify/pairs.csv").open() as fh:
        for row in csv.DictReader(fh):
            score = identity.similarity(verify_embeddings[row["a"]], verify_embeddings[row["b"]])
            if (score >= threshold) != (row["same"] == "1"):
                wrong.append((row["a"], row["b"], round(score, 3)))
    assert wrong == []


def test_embeddings_survive_the_byte_round_trip(verify_embeddings: dict[str, np.ndarray]) -> None:
    embedding = next(iter(verify_embeddings.values()))
    assert np.array_equal(identity.from_bytes(identity.to_bytes(embedding)), embedding)
    with pytest.raises(ValueError, match="512 bytes"):
        identity.from_bytes(b"short")


# ------------------------------------------------------------ quality gate


def test_good_reference_photos_pass_the_gate() -> None:
    for path in [paths.testdata("faces/single/astronaut.png"), paths.testdata("video/other_person/reference.jpg")]:
        verdict = assess_file(path)
        assert verdict.ok, (path, verdict.metrics)
        assert verdict.embedding is not None


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda img: img, "multiple_faces"),  # applied to a group photo below
        (lambda img: cv2.GaussianBlur(img, (0, 0), 4), "blurry"),
        (lambda img: (img * 0.12).astype(np.uint8), "too_dark"),
        (lambda img: cv2.convertScaleAbs(img, alpha=0.3, beta=200), "too_bright"),
        (lambda img: cv2.resize(img, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA), "face_too_small"),
        (lambda img: np.full_like(img, 128), "no_face"),
    ],
    ids=["group", "blurred", "dark", "over-exposed", "small", "blank"],
)
def test_bad_reference_photos_are_rejected_with_the_right_reason(make, reason: str) -> None:
    source = "faces/multi/couple.jpg" if reason == "multiple_faces" else "faces/single/astronaut.png"
    verdict = assess(make(load_image(paths.testdata(source), max_side=1280)))
    assert not verdict.ok
    assert [issue.code for issue in verdict.issues] == [reason]
    issue = verdict.issues[0]
    assert issue.message("en") != issue.message("ru")
    assert issue.message("en").isascii()
    assert not issue.ru.isascii()
    assert verdict.embedding is None


def test_turned_head_is_not_frontal() -> None:
    frame = dict(VideoReader(paths.testdata("video/clips/carphone.mp4")).frames())[3.0]  # head turned in the car
    big = cv2.resize(frame, None, fx=3, fy=3, interpolation=cv2.INTER_CUBIC)
    verdict = assess(big)
    assert verdict.metrics["yaw"] != 0
    assert ("not_frontal" in [i.code for i in verdict.issues]) == (
        abs(verdict.metrics["yaw"]) > 25 or abs(verdict.metrics["roll"]) > 25
    )


def test_exif_orientation_alpha_and_grayscale_are_handled() -> None:
    upright = Image.open(paths.testdata("faces/single/astronaut.png")).convert("RGB")
    # A phone stores the sensor image sideways plus an orientation tag: 6 = rotate 90 deg clockwise to view.
    exif = Image.Exif()
    exif[0x0112] = 6
    sideways = upright.transpose(Image.Transpose.ROTATE_90)
    assert assess_file(jpeg_bytes(sideways, exif=exif.tobytes())).ok
    assert not assess_file(jpeg_bytes(sideways)).ok  # the same pixels without the tag: no upright face

    rgba = upright.convert("RGBA")
    alpha = Image.new("L", rgba.size, 255)
    alpha.paste(0, (0, 0, rgba.width, 60))  # transparent top band
    rgba.putalpha(alpha)
    buffer = io.BytesIO()
    rgba.save(buffer, format="PNG")
    verdict = assess_file(buffer.getvalue())
    assert verdict.ok
    assert verdict.image[5, 5].tolist() == [255, 255, 255]  # transparency flattened onto white

    grey = assess_file(paths.testdata("faces/verify/bbt_sheldon/sheldon1.png"))
    assert grey.image.ndim == 3
    assert grey.face is not None


def test_large_photos_are_shrunk_and_unusable_files_refused(tmp_path: Path) -> None:
    big = Image.open(paths.testdata("faces/single/astronaut.png")).convert("RGB").resize((3000, 3000))
    verdict = assess_file(jpeg_bytes(big))
    assert max(verdict.image.shape[:2]) == 1280
    with pytest.raises(InputError, match="too large"):
        load_image(jpeg_bytes(Image.new("RGB", (8000, 6000))))
    with pytest.raises(InputError, match="not an image"):
        load_image(paths.testdata("faces/single/PROVENANCE.md"))
    with pytest.raises(InputError, match="no such file"):
        load_image(tmp_path / "missing.jpg")
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(paths.testdata("faces/single/angry.jpg").read_bytes()[:2000])
    with pytest.raises(InputError, match="cannot decode"):
        load_image(truncated)


# ---------------------------------------------------------- session analyser


def reference_of(scenario: str) -> np.ndarray:
    return identity.photo_embedding(load_image(paths.testdata(f"video/{scenario}/reference.jpg"), max_side=1280))


def test_scenario_episode_comes_with_its_onset_frame() -> None:
    with VideoReader(paths.testdata("video/second_person/second_person.mp4")) as video:
        result = analyze_video(video, reference_of("second_person"), keep_evidence=True)
    [episode] = result.episodes
    assert episode.kind == "multiple_faces"
    frame = result.snapshots[(episode.kind, episode.start)]
    assert len(detect_faces(frame)) == 2  # the evidence shows what was flagged


def test_identity_is_checked_when_someone_else_sits_down_not_on_every_frame() -> None:
    with VideoReader(paths.testdata("video/other_person/other_person.mp4")) as video:
        result = analyze_video(video, reference_of("other_person"))
    assert [(e.kind, e.start) for e in result.episodes] == [("identity_mismatch", 3.0)]
    counts = result.session.counts
    assert counts["analysed"] == 12  # 6 s at 2 frames/s
    assert counts["identity"] <= 4  # start, the switch (colour change), one confirmation, one more


def test_sessions_on_worker_threads_give_the_same_episodes_as_alone() -> None:
    scenarios = ["absent_return", "second_person", "other_person"]
    frames = {s: list(VideoReader(paths.testdata(f"video/{s}/{s}.mp4")).frames()) for s in scenarios}
    references = {s: reference_of(s) for s in scenarios}

    def run(name: str) -> list[tuple[str, float, float]]:
        session = SessionAnalyzer(references[name])
        for t, frame in frames[name]:
            session.analyze(frame, t) if session.due(t) else session.skip(t)
        session.finish(len(frames[name]) / 15)
        return [(e.kind, e.start, e.end) for e in session.engine.episodes]

    alone = {name: run(name) for name in scenarios}
    together: dict[str, list] = {}
    threads = [threading.Thread(target=lambda n=n: together.__setitem__(n, run(n))) for n in scenarios]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert together == alone
    assert alone == {
        "absent_return": [("no_face", 3.0, 6.0)],
        "second_person": [("multiple_faces", 3.0, 6.0)],
        "other_person": [("identity_mismatch", 3.0, 6.0)],
    }

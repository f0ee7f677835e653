"""`python -m proctor` as operators and the evaluation run it: real files, real models, its own process."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from bench.audio_corpus import TUNING_UTTERANCES, mux_audio, require_espeak, scene
from tests.support import paths

REPO = Path(__file__).resolve().parents[2]
TOLERANCE_S = 0.5  # scenario segments switch by hard cuts; a few frames either way are fine


def proctor(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run the CLI without Django settings: it must need neither them nor a database."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    return subprocess.run(
        [sys.executable, "-m", "proctor", *map(str, args)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def one_error_line(result: subprocess.CompletedProcess[str], command: str) -> str:
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"python -m proctor {command}: error: ")
    return lines[0]


# ------------------------------------------------------------------- analyze


@pytest.mark.parametrize(
    ("scenario", "expected"),
    [
        ("absent_return", [("no_face", 3.0, 6.0)]),
        ("second_person", [("multiple_faces", 3.0, 6.0)]),
        ("other_person", [("identity_mismatch", 3.0, 6.0)]),
    ],
)
def test_analyze_finds_the_scenario_episodes(scenario: str, expected: list[tuple[str, float, float]]) -> None:
    video = paths.testdata(f"video/{scenario}/{scenario}.mp4")
    result = proctor("analyze", video, "--reference", paths.testdata(f"video/{scenario}/reference.jpg"), "--json")
    assert result.returncode == 0, result.stderr
    episodes = json.loads(result.stdout)
    assert [set(e) for e in episodes] == [{"kind", "start", "end"}] * len(episodes)
    assert [e["kind"] for e in episodes] == [kind for kind, _, _ in expected]
    for episode, (_, start, end) in zip(episodes, expected, strict=True):
        assert episode["start"] == pytest.approx(start, abs=TOLERANCE_S)
        assert episode["end"] == pytest.approx(end, abs=TOLERANCE_S)


def test_analyze_prints_a_table_and_writes_evidence(tmp_path: Path) -> None:
    scenario = "absent_return"
    result = proctor(
        "analyze",
        paths.testdata(f"video/{scenario}/{scenario}.y4m"),
        "--reference",
        paths.testdata(f"video/{scenario}/reference.jpg"),
        "--evidence",
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "no_face" in result.stdout.splitlines()[1]
    [snapshot] = tmp_path.glob("no_face-*.jpg")
    assert snapshot.read_bytes()[:2] == b"\xff\xd8"


def with_sound(tmp_path: Path, background: str, speech_at: float | None) -> Path:
    """absent_return.mp4 (no face from 3 s to 6 s) with an Opus track: ``background``, and a Russian
    sentence (espeak-ng, ~5 s) from ``speech_at``."""
    require_espeak()
    utterances = ((speech_at, TUNING_UTTERANCES[0]),) if speech_at is not None else ()
    sound = scene("cli", background, utterances, seconds=9.0)
    video = paths.testdata("video/absent_return/absent_return.mp4")
    return mux_audio(video, sound.samples, tmp_path / f"{background}.mkv")


def test_analyze_reports_speech_from_the_audio_track(tmp_path: Path) -> None:
    video = with_sound(tmp_path, "keyboard", speech_at=2.0)
    reference = paths.testdata("video/absent_return/reference.jpg")
    result = proctor("analyze", video, "--reference", reference, "--json", "--evidence", tmp_path / "evidence")
    assert result.returncode == 0, result.stderr
    episodes = json.loads(result.stdout)
    assert [(e["kind"], set(e)) for e in episodes] == [
        ("speech", {"kind", "start", "end"}),
        ("no_face", {"kind", "start", "end"}),
    ]
    speech, no_face = episodes
    assert (speech["start"], speech["end"]) == (pytest.approx(2.0, abs=0.3), pytest.approx(7.35, abs=0.5))
    assert (no_face["start"], no_face["end"]) == (
        pytest.approx(3.0, abs=TOLERANCE_S),
        pytest.approx(6.0, abs=TOLERANCE_S),
    )
    [clip] = (tmp_path / "evidence").glob("speech-*.wav")
    assert clip.read_bytes()[:4] == b"RIFF"


def test_analyze_hears_no_speech_in_typing_and_music(tmp_path: Path) -> None:
    reference = paths.testdata("video/absent_return/reference.jpg")
    for background in ("keyboard", "music"):
        result = proctor(
            "analyze", with_sound(tmp_path, background, speech_at=None), "--reference", reference, "--json"
        )
        assert result.returncode == 0, result.stderr
        assert [e["kind"] for e in json.loads(result.stdout)] == ["no_face"]


def test_analyze_bad_input(tmp_path: Path) -> None:
    reference = paths.testdata("video/absent_return/reference.jpg")
    video = paths.testdata("video/absent_return/absent_return.mp4")
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(random.Random(4096).randbytes(4096))  # fixed bytes: random ones may look like some format
    policy = tmp_path / "policy.json"
    policy.write_text('{"analysis_fps": 1000}')

    assert "no such file" in one_error_line(
        proctor("analyze", tmp_path / "none.mp4", "--reference", reference), "analyze"
    )
    assert "not a readable video" in one_error_line(proctor("analyze", corrupt, "--reference", reference), "analyze")
    assert "not a readable video" in one_error_line(proctor("analyze", reference, "--reference", reference), "analyze")
    no_face = paths.testdata("faces/none/coffee.png")
    assert "no face" in one_error_line(proctor("analyze", video, "--reference", no_face), "analyze")
    group = paths.testdata("faces/multi/couple.jpg")
    assert "more than one face" in one_error_line(proctor("analyze", video, "--reference", group), "analyze")
    line = one_error_line(proctor("analyze", video, "--reference", reference, "--policy", policy), "analyze")
    assert "analysis_fps" in line
    assert proctor("analyze", video).returncode == 2  # usage: --reference is required


# -------------------------------------------------------------------- verify


def test_verify_scores_pairs(tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.csv"
    pairs.write_text(
        "a,b,same\n"
        "faces/verify/barack_obama/obama.jpg,faces/verify/barack_obama/obama2.jpg,1\n"
        "faces/verify/bbt_amy/amy1.png,faces/verify/bbt_amy/amy3.png,1\n"
        "faces/verify/barack_obama/obama.jpg,faces/verify/joe_biden/biden.jpg,0\n"
        "faces/verify/angelina_jolie/img2.jpg,faces/verify/elon_musk/img18.jpg,0\n"
    )
    result = proctor("verify", "--pairs", pairs, "--root", paths.TESTDATA)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["match"] for r in rows] == ["1", "1", "0", "0"]
    assert all(-1 <= float(r["score"]) <= 1 for r in rows)
    assert rows[0]["a"] == "faces/verify/barack_obama/obama.jpg"


def test_verify_bad_input(tmp_path: Path) -> None:
    root = paths.TESTDATA
    assert "no such file" in one_error_line(proctor("verify", "--pairs", tmp_path / "x.csv", "--root", root), "verify")
    short = tmp_path / "short.csv"
    short.write_text("a,b\nfaces/single/angry.jpg\n")
    assert "row 1 needs two paths" in one_error_line(proctor("verify", "--pairs", short, "--root", root), "verify")
    missing = tmp_path / "missing.csv"
    missing.write_text("faces/single/angry.jpg,faces/single/nobody.jpg\n")
    assert "nobody.jpg: no such file" in one_error_line(proctor("verify", "--pairs", missing, "--root", root), "verify")
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    one_error_line(proctor("verify", "--pairs", binary, "--root", root), "verify")


# --------------------------------------------------------------------- faces


def test_faces_counts_per_image() -> None:
    images = [paths.testdata(p) for p in ("faces/multi/couple.jpg", "faces/none/white.png", "faces/single/angry.jpg")]
    result = proctor("faces", *images)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(Path(r["path"]).name, r["faces"]) for r in rows] == [
        ("couple.jpg", "2"),
        ("white.png", "0"),
        ("angry.jpg", "1"),
    ]


def test_faces_bad_input(tmp_path: Path) -> None:
    text = paths.testdata("faces/none/PROVENANCE.md")
    assert "not an image" in one_error_line(proctor("faces", paths.testdata("faces/none/white.png"), text), "faces")
    assert "no such file" in one_error_line(proctor("faces", tmp_path / "nope.png"), "faces")
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    assert "empty file" in one_error_line(proctor("faces", empty), "faces")


# -------------------------------------------------------------------- enroll


def test_enroll_verdicts() -> None:
    accepted = proctor("enroll", paths.testdata("faces/single/astronaut.png"))
    assert accepted.returncode == 0
    assert accepted.stdout.splitlines()[0].endswith(": accepted")
    rejected = proctor("enroll", paths.testdata("faces/multi/couple.jpg"), "--json")
    assert rejected.returncode == 3
    report = json.loads(rejected.stdout)
    assert report["accepted"] is False
    assert [r["code"] for r in report["reasons"]] == ["multiple_faces"]
    assert report["reasons"][0]["ru"].startswith("На фото больше одного лица")


def test_enroll_bad_input(tmp_path: Path) -> None:
    assert "no such file" in one_error_line(proctor("enroll", tmp_path / "me.jpg"), "enroll")
    truncated = tmp_path / "me.jpg"
    truncated.write_bytes(paths.testdata("faces/single/angry.jpg").read_bytes()[:1500])
    assert "cannot decode" in one_error_line(proctor("enroll", truncated), "enroll")
    assert "is a directory" in one_error_line(proctor("enroll", tmp_path), "enroll")

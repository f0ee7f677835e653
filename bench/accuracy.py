"""Accuracy of the proctoring vision engine on ../shared/testdata; writes docs/accuracy.md.

    .venv/bin/python bench/accuracy.py [--testdata DIR] [--out docs/accuracy.md]

Measures, with the same code paths as ``python -m proctor`` and the default policy:

* verification: ROC of SFace cosine scores on faces/verify/pairs.csv, and on every
  different-identity combination of the same photos (pairs.csv has only 158 impostor pairs,
  too few to resolve FAR 0.1 %); TAR at FAR 1 % / 0.1 %, EER, and the threshold the policy
  should use (chosen on the pairs, never on the videos);
* face counting per image against labels.csv (multi / single / none);
* scenario videos (.mp4 and .y4m) against scenario.csv: episode precision/recall matched by
  kind and overlap, start error and decision delay, at 2 and 5 analysed frames per second;
* false flags per minute on the plain single-person clips (video/clips).

The speech section at the end of the file is bench/speech_accuracy.py's, kept as it is.

The last line is ``RESULT tar_at_far_0.1=<float> episode_precision=<float> episode_recall=<float>``.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import math
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.media import write_clip  # noqa: E402
from bench.negatives import negatives  # noqa: E402
from bench.negatives import report as negatives_report  # noqa: E402
from bench.speech_accuracy import preserved_section  # noqa: E402
from proctor.cli import analyze_video  # noqa: E402
from proctor.media.grades import ANALYSIS_BITS_PER_FRAME, ANALYSIS_HEIGHT, ANALYSIS_WIDTH, analysis_grade  # noqa: E402
from proctor.policy import DEFAULT_POLICY, Policy  # noqa: E402
from proctor.vision import identity, landmarks, vetting  # noqa: E402
from proctor.vision.analyzer import detection_scale  # noqa: E402
from proctor.vision.detection import detect_faces  # noqa: E402
from proctor.vision.frames import VideoReader, load_image  # noqa: E402

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png"}
# Borderline images documented in faces/multi/PROVENANCE.md: counts a careful human could also give.
ACCEPTABLE_COUNTS = {"bbt2.jpg": (1, 3), "selfie-many-people.jpg": (5, 7), "obama_and_biden.jpg": (2, 3)}
PHASES = (0.0, 2 / 15, 4 / 15, 6 / 15)  # analysis grid offsets (frames at 15 fps) for the .mp4 runs
SCENARIO_KINDS = {"no_face": "no_face", "multi_face": "multiple_faces", "other_person": "identity_mismatch"}


# ------------------------------------------------------------------ verification


@dataclass
class Roc:
    genuine: np.ndarray
    impostor: np.ndarray

    def far(self, threshold: float) -> float:
        return float(np.mean(self.impostor >= threshold))

    def tar(self, threshold: float) -> float:
        return float(np.mean(self.genuine >= threshold))

    def threshold_for_far(self, far: float) -> float:
        """Smallest threshold whose false-accept rate is at most ``far``."""
        allowed = int(np.floor(far * len(self.impostor)))
        ordered = np.sort(self.impostor)[::-1]
        return float(np.nextafter(ordered[allowed], 1.0)) if allowed < len(ordered) else float(ordered[-1])

    def eer(self) -> tuple[float, float]:
        """Equal error rate and the threshold where FAR and FRR cross."""
        candidates = np.unique(np.concatenate([self.genuine, self.impostor]))
        best = min(candidates, key=lambda t: abs(self.far(t) - (1 - self.tar(t))))
        return (self.far(best) + 1 - self.tar(best)) / 2, float(best)


def verification(testdata: Path) -> dict:
    verify_dir = testdata / "faces" / "verify"
    photos = sorted(p for p in verify_dir.glob("*/*") if p.suffix.lower() in IMAGE_SUFFIXES)
    embeddings = {}
    for path in photos:
        embedding = identity.photo_embedding(load_image(path, max_side=1280))
        if embedding is not None:
            embeddings[str(path.relative_to(testdata))] = embedding
    missing = len(photos) - len(embeddings)
    with (verify_dir / "pairs.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    genuine, impostor = [], []
    for row in rows:
        score = identity.similarity(embeddings[row["a"]], embeddings[row["b"]])
        (genuine if row["same"] == "1" else impostor).append(score)
    pairs = Roc(np.array(genuine), np.array(impostor))
    identity_of = {p: Path(p).parent.name for p in embeddings}
    all_impostor = [
        identity.similarity(embeddings[a], embeddings[b])
        for a, b in itertools.combinations(sorted(embeddings), 2)
        if identity_of[a] != identity_of[b]
    ]
    extended = Roc(pairs.genuine, np.array(all_impostor))
    at_target = extended.threshold_for_far(0.001)
    # Smallest two-decimal threshold with no false accept among all impostor combinations: with N
    # trials and none failing, FAR < 3/N at 95 % confidence (rule of three), the only way this set
    # can back a claim of FAR <= 0.1 %.
    chosen = math.floor(float(extended.impostor.max()) * 100 + 1) / 100
    identities = len(set(identity_of.values()))
    return {
        "photos": len(photos),
        "identities": identities,
        "no_face": missing,
        "pairs": pairs,
        "extended": extended,
        "at_target": at_target,
        "chosen": chosen,
    }


# ---------------------------------------------------------------------- counting


def counting(testdata: Path) -> list[dict]:
    results = []
    for folder in ("multi", "single", "none"):
        with (testdata / "faces" / folder / "labels.csv").open() as fh:
            for row in csv.DictReader(fh):
                image = load_image(testdata / "faces" / folder / row["file"], max_side=1280)
                detected = detect_faces(image)
                label, found = int(row["faces"]), len(vetting.human_faces(image, detected))
                low, high = ACCEPTABLE_COUNTS.get(row["file"], (label, label))
                results.append(
                    {
                        "folder": folder,
                        "file": row["file"],
                        "label": label,
                        "yunet": len(detected),
                        "found": found,
                        "ok": low <= found <= high,
                        "ok_yunet": low <= len(detected) <= high,
                    }
                )
    return results


# --------------------------------------------------------------------- scenarios


@dataclass
class Truth:
    kind: str
    start: float
    end: float


def ground_truth(scenario_csv: Path) -> list[Truth]:
    truths: list[Truth] = []
    with scenario_csv.open() as fh:
        for row in csv.DictReader(fh):
            kind = SCENARIO_KINDS.get(row["expected"])
            if kind is None:
                continue
            start, end = float(row["start_s"]), float(row["end_s"])
            if truths and truths[-1].kind == kind and abs(truths[-1].end - start) < 1e-6:
                truths[-1].end = end
            else:
                truths.append(Truth(kind, start, end))
    return truths


def iou(a_start: float, a_end: float, b_start: float, b_end: float) -> float:
    inter = max(0.0, min(a_end, b_end) - max(a_start, b_start))
    union = max(a_end, b_end) - min(a_start, b_start)
    return inter / union if union > 0 else float(a_start == b_start)


def debounce(policy: Policy, kind: str) -> float:
    """How long the engine waits by design before it may decide (identity: the confirming re-checks)."""
    if kind == "identity_mismatch":
        return policy.identity_retry_s * (policy.identity_failures - 1) + policy.min_duration(kind)
    return policy.min_duration(kind)


def scenario_run(video: Path, reference: np.ndarray, truths: list[Truth], policy: Policy, phase: float) -> dict:
    with VideoReader(video) as reader:
        analysis = analyze_video(reader, reference, policy, phase=phase)
    detected = analysis.episodes
    matched: list[tuple[Truth, object, float]] = []
    used = set()
    for truth in truths:
        candidates = [
            (iou(truth.start, truth.end, e.start, e.end), i)
            for i, e in enumerate(detected)
            if e.kind == truth.kind and i not in used and iou(truth.start, truth.end, e.start, e.end) > 0
        ]
        if candidates:
            overlap, index = max(candidates)
            used.add(index)
            matched.append((truth, detected[index], overlap))
    rows = []
    for truth, episode, overlap in matched:
        decided = analysis.decided_at[(episode.kind, episode.start)]
        rows.append(
            {
                "kind": truth.kind,
                "truth": (truth.start, truth.end),
                "found": (episode.start, episode.end),
                "iou": overlap,
                "start_error": episode.start - truth.start,
                "delay": decided - truth.start,
                "delay_ok": decided - truth.start <= debounce(policy, truth.kind) + 1.0 + 1e-6,
            }
        )
    return {
        "video": video,
        "truths": len(truths),
        "detected": len(detected),
        "matched": rows,
        "false": [e for i, e in enumerate(detected) if i not in used],
        "missed": [t for t in truths if t not in [m[0] for m in matched]],
    }


def scenarios(testdata: Path, fps_values: tuple[float, ...], phases: tuple[float, ...], scratch: Path) -> list[dict]:
    """Every scenario as .mp4 and .y4m at each analysis rate; the .mp4 also with the analysis grid shifted,
    and re-encoded into ``scratch`` at the analysis grade the exam page sends for that rate (VP8,
    proctor/media/grades.py)."""
    runs = []
    for csv_path in sorted((testdata / "video").glob("*/scenario.csv")):
        folder = csv_path.parent
        truths = ground_truth(csv_path)
        reference = identity.photo_embedding(load_image(folder / "reference.jpg", max_side=1280))
        for fps in fps_values:
            grade = analysis_grade(fps)
            as_sent = scratch / f"{folder.name}.analysis-grade-{grade.fps}fps.webm"
            write_clip(folder / f"{folder.name}.mp4", as_sent, grade.width, grade.height, grade.fps, grade.bitrate)
            variants = [(".mp4", 0.0), (".y4m", 0.0)] + [(".mp4", phase) for phase in phases if phase]
            videos = [(folder / f"{folder.name}{suffix}", phase) for suffix, phase in variants] + [(as_sent, 0.0)]
            for video, phase in videos:
                run = scenario_run(video, reference, truths, _at_fps(fps), phase)
                run.update(fps=fps, phase=phase)
                runs.append(run)
    return runs


def _at_fps(fps: float) -> Policy:
    return replace(DEFAULT_POLICY, analysis_fps=fps)


# ----------------------------------------------------------------- normal clips


def webcam_scores(testdata: Path) -> dict[str, list[float]]:
    """Similarity of video frames (every 0.2 s, one face) to the scenario's reference photo, by ground truth."""
    scores: dict[str, list[float]] = {"candidate": [], "other person": []}
    for csv_path in sorted((testdata / "video").glob("*/scenario.csv")):
        folder = csv_path.parent
        with csv_path.open() as fh:
            segments = [(float(r["start_s"]), float(r["end_s"]), r["expected"]) for r in csv.DictReader(fh)]
        reference = identity.photo_embedding(load_image(folder / "reference.jpg", max_side=1280))
        with VideoReader(folder / f"{folder.name}.mp4") as video:
            for index, (t, frame) in enumerate(video.frames()):
                expected = next((e for a, b, e in segments if a + 0.2 <= t < b - 0.2), None)  # away from cuts
                if index % 3 or expected not in ("one_face", "other_person"):
                    continue
                faces = detect_faces(frame, detection_scale(DEFAULT_POLICY, frame.shape[1]))
                if len(faces) == 1:
                    score = identity.similarity(identity.embed(frame, faces[0]), reference)
                    scores["candidate" if expected == "one_face" else "other person"].append(score)
    return scores


def normal_clips(testdata: Path) -> list[dict]:
    """Plain single-person clips: every episode is a false flag.

    References: d10_gaze_10s is LivePortrait d10, whose frame at 14.5 s is other_person/reference.jpg;
    carphone has no separate photo, so its first frame is the reference (as at an exam start).
    """
    references = {"d10_gaze_10s": load_image(testdata / "video" / "other_person" / "reference.jpg", max_side=1280)}
    results = []
    for video in sorted((testdata / "video" / "clips").glob("*.mp4")):
        with VideoReader(video) as reader:
            reference_image = references.get(video.stem)
            if reference_image is None:
                reader.grab()
                reference_image = reader.retrieve()
            with VideoReader(video) as fresh:
                analysis = analyze_video(fresh, identity.photo_embedding(reference_image), DEFAULT_POLICY)
                duration = fresh.duration
        results.append({"video": video.name, "seconds": duration, "episodes": analysis.episodes})
    return results


# ------------------------------------------------------------------------ report


def pct(value: float) -> str:
    return f"{100 * value:.2f} %" if 0 < value < 0.01 else f"{100 * value:.1f} %"


def build_report(
    ver: dict, counts: list[dict], negative_rows: list[dict], runs: list[dict], clips: list[dict], elapsed: float
) -> tuple[str, dict]:
    pairs, extended, chosen = ver["pairs"], ver["extended"], ver["chosen"]
    policy_threshold = DEFAULT_POLICY.identity_threshold
    pair_eer, pair_eer_t = pairs.eer()
    ext_eer, ext_eer_t = extended.eer()
    default_runs = [r for r in runs if r["fps"] == DEFAULT_POLICY.analysis_fps]
    negatives_section = negatives_report(negative_rows)

    def prf(selected: list[dict]) -> tuple[float, float]:
        detected = sum(r["detected"] for r in selected)
        truths = sum(r["truths"] for r in selected)
        matched = sum(len(r["matched"]) for r in selected)
        return (matched / detected if detected else 1.0), (matched / truths if truths else 1.0)

    precision, recall = prf(default_runs)
    flags = sum(len(c["episodes"]) for c in clips)
    minutes = sum(c["seconds"] for c in clips) / 60
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout
    lines = [
        "# Accuracy of the proctoring vision engine",
        "",
        f"Measured by `bench/accuracy.py` on `../shared/testdata` ({date.today()}, commit {commit.strip()}, "
        f"{platform.machine()}, Python {platform.python_version()}; {elapsed:.0f} s). Default policy unless stated; "
        "models: YuNet 2023mar int8bq, SFace 2021dec int8bq, MediaPipe face_landmarker.task (OpenCV 4.14).",
        "",
        "## Summary against the targets",
        "",
        "| target | reached | met |",
        "|---|---|---|",
        f"| verification TAR >= 99.5 % at FAR <= 0.1 % | TAR {pct(extended.tar(policy_threshold))} at FAR "
        f"{pct(extended.far(policy_threshold))} (threshold {policy_threshold}, "
        f"{len(extended.impostor)} impostor pairs); "
        f"pairs.csv: TAR {pct(pairs.tar(policy_threshold))}, FAR {pct(pairs.far(policy_threshold))} | "
        f"{_yes(extended.tar(policy_threshold) >= 0.995 and extended.far(policy_threshold) <= 0.001)} |",
        f"| episodes precision >= 0.95 and recall >= 0.95 | precision {precision:.2f}, recall {recall:.2f} "
        f"({sum(r['truths'] for r in default_runs)} true episodes, {len(default_runs)} video runs) | "
        f"{_yes(precision >= 0.95 and recall >= 0.95)} |",
        f"| onset within debounce + 1 s | {sum(m['delay_ok'] for r in default_runs for m in r['matched'])} of "
        f"{sum(len(r['matched']) for r in default_runs)} matched episodes | "
        f"{_yes(all(m['delay_ok'] for r in default_runs for m in r['matched']))} |",
        f"| no episode on normal single-person clips | {flags} episode(s) in {minutes * 60:.0f} s | "
        f"{_yes(flags == 0)} |",
        "",
        "## Verification (SFace cosine similarity)",
        "",
        f"{ver['photos']} photos of {ver['identities']} people in faces/verify, {ver['no_face']} without a detected "
        "face. Scores come from `python -m proctor verify`'s code path: main face (largest), YuNet landmarks, SFace "
        "alignment.",
        "",
        "| impostor set | genuine pairs | impostor pairs | TAR @ FAR 1 % | TAR @ FAR 0.1 % | EER (threshold) |"
        " lowest genuine | highest impostor |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, roc in (("pairs.csv", pairs), ("all different-identity combinations", extended)):
        t1, t01 = roc.threshold_for_far(0.01), roc.threshold_for_far(0.001)
        eer, eer_t = (pair_eer, pair_eer_t) if roc is pairs else (ext_eer, ext_eer_t)
        lines.append(
            f"| {name} | {len(roc.genuine)} | {len(roc.impostor)} | {pct(roc.tar(t1))} (t={t1:.3f}) | "
            f"{pct(roc.tar(t01))} (t={t01:.3f}) | {pct(eer)} ({eer_t:.3f}) | {roc.genuine.min():.3f} | "
            f"{roc.impostor.max():.3f} |"
        )
    lines += [
        "",
        f"**Threshold.** pairs.csv holds only {len(pairs.impostor)} impostor pairs, so one false accept is already "
        f"FAR {pct(1 / len(pairs.impostor))}: FAR 0.1 % cannot be shown on it. The threshold is therefore chosen on "
        f"all {len(extended.impostor)} different-identity combinations of the same photos. The plain FAR = 0.1 % "
        f"point there is {ver['at_target']:.3f}, but it still admits "
        f"{round(extended.far(ver['at_target']) * len(extended.impostor))} impostor pair(s) "
        f"({round(pairs.far(ver['at_target']) * len(pairs.impostor))} of them in pairs.csv), and a FAR measured on a "
        "couple of errors says little about the true rate. Chosen instead: the smallest "
        f"two-decimal threshold that accepts none of the {len(extended.impostor)} impostor pairs, **{chosen:.2f}** "
        f"(highest impostor {extended.impostor.max():.3f}); with no false accept in N trials, FAR < 3/N = "
        f"{pct(3 / len(extended.impostor))} at 95 % confidence (rule of three). Policy default `identity_threshold = "
        f"{policy_threshold}`"
        + ("" if abs(chosen - policy_threshold) < 1e-9 else " - **differs from the choice: change the default**")
        + f". At {policy_threshold} every same-person pair still matches (lowest {pairs.genuine.min():.3f}), so "
        f"TAR {pct(pairs.tar(policy_threshold))}; the margin on that side is small "
        f"({pairs.genuine.min() - policy_threshold:.3f}) and comes from tight grayscale crops (bbt_*). Webcam frames "
        "against the scenario reference photos (every 0.2 s, as the analyser sees them): the candidate "
        f"{_span(ver['webcam']['candidate'])}, the other person {_span(ver['webcam']['other person'])}. opencv_zoo's "
        f"published SFace threshold (0.363, from LFW) would accept {pct(extended.far(0.363))} of impostors here. With "
        f"{len(pairs.genuine)} genuine pairs one miss is {pct(1 / len(pairs.genuine))}: the TAR figures are accurate "
        "to about that.",
        "",
        "## Face counting (YuNet score >= 0.7 + the human-face check, photos up to 1280 px)",
        "",
        "| folder | images | exact | acceptable* | mean abs. error | acceptable, YuNet alone |",
        "|---|---|---|---|---|---|",
    ]
    for folder in ("multi", "single", "none"):
        rows = [c for c in counts if c["folder"] == folder]
        exact = sum(c["found"] == c["label"] for c in rows)
        mae = np.mean([abs(c["found"] - c["label"]) for c in rows])
        lines.append(
            f"| {folder} | {len(rows)} | {exact} | {sum(c['ok'] for c in rows)} | {mae:.2f} | "
            f"{sum(c['ok_yunet'] for c in rows)} |"
        )
    lines += [
        "",
        "\\* acceptable = exact, or within the range PROVENANCE.md gives for a borderline image "
        "(bbt2 1-3, selfie-many-people 5-7, obama_and_biden 2-3).",
        "",
        "| image | label | found |",
        "|---|---|---|",
        *[f"| {c['folder']}/{c['file']} | {c['label']} | {c['found']} |" for c in counts if c["found"] != c["label"]],
        "",
        *negatives_section,
        "",
        "## Scenario videos (episodes against scenario.csv)",
        "",
        "Ground truth: every segment other than `one_face` is one expected episode (`no_face` -> no_face, "
        "`multi_face` -> multiple_faces, `other_person` -> identity_mismatch). A detected episode matches when kind "
        "agrees and the intervals overlap. *Start error* = episode start - true start; *delay* = when the engine "
        "decided - true start (the debounce is 3 s no_face, 2 s multiple_faces, 1 s identity: one confirming "
        "re-check).",
        "",
        "Each clip runs as .mp4 and .y4m, and the .mp4 again with the analysis grid shifted by 2, 4 and 6 "
        "frames (*grid*), since a live stream's sampling falls anywhere relative to events, and once more "
        "as the exam page sends it at that analysis rate (*.analysis-grade-Nfps.webm*: VP8 "
        f"{ANALYSIS_WIDTH}x{ANALYSIS_HEIGHT} at N fps, {ANALYSIS_BITS_PER_FRAME // 1000} kbit per frame).",
        "",
        "| video | analysed fps | grid (s) | kind | truth (s) | found (s) | IoU | start error (s) | delay (s) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        for m in run["matched"]:
            truth, found = m["truth"], m["found"]
            lines.append(
                f"| {run['video'].name} | {run['fps']:g} | {run['phase']:.2f} | {m['kind']} | "
                f"{truth[0]:.2f}-{truth[1]:.2f} | {found[0]:.2f}-{found[1]:.2f} | {m['iou']:.2f} | "
                f"{m['start_error']:+.2f} | {m['delay']:.2f} |"
            )
        for t in run["missed"]:
            lines.append(
                f"| {run['video'].name} | {run['fps']:g} | {run['phase']:.2f} | {t.kind} | "
                f"{t.start:.2f}-{t.end:.2f} | MISSED | | | |"
            )
        for e in run["false"]:
            lines.append(
                f"| {run['video'].name} | {run['fps']:g} | {run['phase']:.2f} | {e.kind} | (none) | "
                f"{e.start:.2f}-{e.end:.2f} FALSE | | | |"
            )
    lines += ["", "| analysed fps | video runs | precision | recall |", "|---|---|---|---|"]
    for fps in sorted({r["fps"] for r in runs}):
        selected = [r for r in runs if r["fps"] == fps]
        p, r = prf(selected)
        lines.append(f"| {fps:g} | {len(selected)} | {p:.2f} | {r:.2f} |")
    lines += [
        "",
        "## False flags on normal single-person footage",
        "",
        "| clip | seconds | episodes |",
        "|---|---|---|",
        *[
            f"| {c['video']} | {c['seconds']:.1f} | "
            + (", ".join(f"{e.kind} {e.start:.1f}-{e.end:.1f}" for e in c["episodes"]) or "none")
            + " |"
            for c in clips
        ],
        "",
        f"False flags per minute: **{flags / minutes:.2f}** ({flags} in {minutes:.2f} min). References: d10 uses "
        "other_person/reference.jpg (a frame of the same d10 source clip); carphone has no photo, so its first frame "
        "is the reference, as when a reference is taken at the exam start.",
        "",
        "## Limits of this evaluation",
        "",
        f"- The test set is small ({ver['photos']} verification photos of {ver['identities']} people, {len(counts)} "
        f"counting images, 3 scenario clips of 6-9 s, {minutes * 60:.0f} s of normal footage); figures are accurate "
        "to a few percent at best.",
        "- The scenario clips switch by hard cuts; a real candidate leaving or a second person entering is gradual.",
        "- There is no labelled footage for `looking_away`: it is covered by unit tests and by the absence of false "
        "flags on d10_gaze_10s (strong gaze shifts and head tilts, each shorter than 5 s).",
        "- The YuNet score threshold (0.7) and the quality-gate limits were set by looking at these same photos; "
        "there is no separate held-out set for them. The human-face check's limits (SFace feature length 7.0 / "
        "9.0) were set from human faces of these photos and clips; its grey-zone score (0.9) is opencv_zoo's "
        "default. Its negatives are few (36 images, about half held out) and all photos: the webcam column is "
        "those photos shrunk into a frame, not real footage of pets.",
    ]
    summary = {"tar": extended.tar(policy_threshold), "precision": precision, "recall": recall}
    return "\n".join(lines) + "\n", summary


def _span(scores: list[float]) -> str:
    return f"{min(scores):.2f}-{max(scores):.2f} ({len(scores)} frames)" if scores else "(no frames)"


def _yes(ok: bool) -> str:
    return "yes" if ok else "**no**"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--testdata", type=Path, default=REPO.parent / "shared" / "testdata")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "accuracy.md")
    args = parser.parse_args()
    if not args.testdata.is_dir():
        print(f"bench/accuracy.py: error: test data folder {args.testdata} is missing", file=sys.stderr)
        return 1
    landmarks.preload(quiet=True)
    started = time.perf_counter()
    ver = verification(args.testdata)
    ver["webcam"] = webcam_scores(args.testdata)
    counts = counting(args.testdata)
    negative_rows = negatives()
    with tempfile.TemporaryDirectory(prefix="accuracy-") as scratch:
        runs = scenarios(args.testdata, (DEFAULT_POLICY.analysis_fps, 5.0), PHASES, Path(scratch))
    clips = normal_clips(args.testdata)
    report, summary = build_report(ver, counts, negative_rows, runs, clips, time.perf_counter() - started)
    speech = preserved_section(args.out)  # bench/speech_accuracy.py's section stays as it last wrote it
    args.out.write_text(report + ("\n" + speech if speech else ""))
    print(report)
    print(f"wrote {args.out}")
    print(
        f"RESULT tar_at_far_0.1={summary['tar']:.4f} episode_precision={summary['precision']:.3f} "
        f"episode_recall={summary['recall']:.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``python -m proctor``: the vision engine from the command line (operators, evaluation).

    python -m proctor analyze VIDEO --reference PHOTO [--json] [--policy FILE] [--evidence DIR]
        (speech episodes too when VIDEO has an audio track)
    python -m proctor verify --pairs PAIRS.csv --root DIR [--threshold X]
    python -m proctor faces IMAGE...
    python -m proctor enroll PHOTO [--json]

Needs no database or Django settings. Models are loaded once per command. Exit status:
0 ok, 1 bad input (one line on stderr), 2 usage error, 3 ``enroll``: photo rejected.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import models

from .audio.listener import listen
from .audio.pcm import has_audio, read_audio
from .episodes import Episode, TimestampError
from .policy import DEFAULT_POLICY, Policy, PolicyError
from .quality import assess_file
from .vision import identity, landmarks, vetting
from .vision.analyzer import SessionAnalyzer
from .vision.detection import detect_faces
from .vision.frames import InputError, VideoReader, encode_jpeg, load_image

MAX_SIDE = 1280  # photos are analysed at most this large
EXIT_REJECTED = 3


class CommandError(Exception):
    """Bad input found by a command (message is one line)."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (CommandError, InputError, PolicyError, TimestampError, models.ModelError, OSError) as exc:
        print(f"python -m proctor {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m proctor", description="Proctoring vision and speech engine.")
    commands = parser.add_subparsers(dest="command", required=True)

    analyze = commands.add_parser(
        "analyze", help="episode timeline of a recorded video (and of its audio track: speech)"
    )
    analyze.add_argument("video", type=Path)
    analyze.add_argument("--reference", type=Path, required=True, help="reference photo of the candidate")
    analyze.add_argument("--json", action="store_true", help='print [{"kind", "start", "end"}, ...]')
    analyze.add_argument("--policy", type=Path, help="policy JSON (partial; defaults for the rest)")
    analyze.add_argument(
        "--evidence", type=Path, help="write a JPEG snapshot (a WAV clip for speech) per episode into this directory"
    )
    analyze.set_defaults(run=run_analyze)

    verify = commands.add_parser("verify", help="face verification scores for pairs of photos")
    verify.add_argument("--pairs", type=Path, required=True, help="CSV with columns a,b[,same]")
    verify.add_argument("--root", type=Path, required=True, help="directory the paths in the CSV are relative to")
    verify.add_argument("--threshold", type=float, default=DEFAULT_POLICY.identity_threshold)
    verify.set_defaults(run=run_verify)

    faces = commands.add_parser("faces", help="number of faces per image")
    faces.add_argument("images", type=Path, nargs="+")
    faces.set_defaults(run=run_faces)

    enroll = commands.add_parser("enroll", help="quality verdict for a reference photo")
    enroll.add_argument("photo", type=Path)
    enroll.add_argument("--json", action="store_true")
    enroll.set_defaults(run=run_enroll)
    return parser


# ------------------------------------------------------------------- analyze


def run_analyze(args: argparse.Namespace) -> int:
    policy = _load_policy(args.policy) if args.policy else DEFAULT_POLICY
    with VideoReader(args.video) as video:  # validates the video before any model loads
        reference = reference_embedding(args.reference)
        landmarks.preload(quiet=True)
        result = analyze_video(video, reference, policy, keep_evidence=args.evidence is not None)
    heard = listen(read_audio(args.video), policy) if has_audio(args.video) else None
    episodes = sorted(result.episodes + (heard.episodes if heard else []), key=lambda e: (e.start, e.kind))
    if args.evidence:
        _write_evidence(args.evidence, result.snapshots)
        for start, clip in (heard.clips if heard else {}).items():
            (args.evidence / f"speech-{start:08.2f}.wav").write_bytes(clip)
    if args.json:
        rows = [
            {"kind": e.kind, "start": round(e.start, 3), "end": None if e.end is None else round(e.end, 3)}
            for e in episodes
        ]
        print(json.dumps(rows))
    else:
        print(f"{'kind':<18} {'start':>7} {'end':>7}  peak")
        for e in episodes:
            peak = "" if e.peak is None else f"{e.peak:.2f}"
            print(f"{e.kind:<18} {e.start:7.2f} {e.end:7.2f}  {peak}")
        if not episodes:
            print("(no episodes)")
    return 0


@dataclass
class VideoAnalysis:
    episodes: list[Episode]  # closed, by start
    decided_at: dict[tuple[str, float], float]  # (kind, start) -> time the episode was opened
    snapshots: dict[tuple[str, float], np.ndarray]  # (kind, start) -> evidence frame (keep_evidence only)
    session: SessionAnalyzer


def analyze_video(
    video: VideoReader,
    reference: np.ndarray | None,
    policy: Policy = DEFAULT_POLICY,
    keep_evidence: bool = False,
    phase: float = 0.0,
) -> VideoAnalysis:
    """Run a recording through the session analyser frame by frame, as if it were live.

    ``phase``: frames before this many seconds only count as arriving; the analysis grid
    starts there (a live stream's grid falls anywhere relative to events).
    """
    session = SessionAnalyzer(reference, policy)
    decided_at: dict[tuple[str, float], float] = {}
    snapshots: dict[tuple[str, float], np.ndarray] = {}
    while video.grab():
        t = video.t
        due = t >= phase - 1e-9 and session.due(t)
        events = session.analyze(video.retrieve(), t) if due else session.skip(t)
        for event in events:
            if event.action == "opened":
                key = (event.episode.kind, event.episode.start)
                decided_at[key] = event.at
                if keep_evidence and event.evidence is not None:
                    snapshots[key] = event.evidence
    for event in session.finish(video.duration):
        if event.action == "opened":
            decided_at[(event.episode.kind, event.episode.start)] = event.at
    return VideoAnalysis(session.engine.episodes, decided_at, snapshots, session)


def reference_embedding(path: Path) -> np.ndarray:
    """Embedding of the one face in a reference photo; quality problems are only warned about."""
    verdict = assess_file(path)
    if verdict.face is None:
        raise CommandError(f"{path}: no face in the reference photo")
    if verdict.metrics["faces"] > 1:
        raise CommandError(f"{path}: more than one face in the reference photo")
    for issue in verdict.issues:
        print(f"warning: reference photo: {issue.en}", file=sys.stderr)
    return verdict.embedding if verdict.embedding is not None else identity.embed(verdict.image, verdict.face)


def _load_policy(path: Path) -> Policy:
    try:
        return Policy.from_dict(json.loads(path.read_text()))
    except FileNotFoundError:
        raise CommandError(f"{path}: no such file") from None
    except OSError as exc:
        raise CommandError(f"{path}: cannot read ({exc.strerror})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CommandError(f"{path}: not valid JSON ({exc})") from None


def _write_evidence(directory: Path, snapshots: dict[tuple[str, float], np.ndarray]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for (kind, start), frame in snapshots.items():
        (directory / f"{kind}-{start:08.2f}.jpg").write_bytes(encode_jpeg(frame))


# -------------------------------------------------------------------- verify


def run_verify(args: argparse.Namespace) -> int:
    pairs = _read_pairs(args.pairs)
    root = args.root
    if not root.is_dir():
        raise CommandError(f"{root}: not a directory")
    paths = sorted({p for pair in pairs for p in pair})
    images = {p: load_image(root / p, max_side=MAX_SIDE) for p in paths}  # every file checked before any output
    embeddings = {p: identity.photo_embedding(image) for p, image in images.items()}
    for p, embedding in embeddings.items():
        if embedding is None:
            print(f"warning: {p}: no face found; its pairs score empty and do not match", file=sys.stderr)
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["a", "b", "score", "match"])
    for a, b in pairs:
        ea, eb = embeddings[a], embeddings[b]
        if ea is None or eb is None:
            writer.writerow([a, b, "", 0])
            continue
        score = identity.similarity(ea, eb)
        writer.writerow([a, b, f"{score:.4f}", int(score >= args.threshold)])
    return 0


def _read_pairs(path: Path) -> list[tuple[str, str]]:
    try:
        with path.open(newline="") as fh:
            rows = [row for row in csv.reader(fh) if row and any(cell.strip() for cell in row)]
    except FileNotFoundError:
        raise CommandError(f"{path}: no such file") from None
    except OSError as exc:
        raise CommandError(f"{path}: cannot read ({exc.strerror})") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise CommandError(f"{path}: not a readable CSV ({exc})") from None
    if rows and [c.strip().lower() for c in rows[0][:2]] == ["a", "b"]:
        rows = rows[1:]
    if not rows:
        raise CommandError(f"{path}: no pairs")
    pairs = []
    for number, row in enumerate(rows, start=1):
        if len(row) < 2 or not row[0].strip() or not row[1].strip():
            raise CommandError(f"{path}: row {number} needs two paths (a,b[,same])")
        pairs.append((row[0].strip(), row[1].strip()))
    return pairs


# --------------------------------------------------------------------- faces


def run_faces(args: argparse.Namespace) -> int:
    images = [(path, load_image(path, max_side=MAX_SIDE)) for path in args.images]  # all checked first
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["path", "faces"])
    for path, image in images:
        writer.writerow([str(path), len(vetting.human_faces(image, detect_faces(image)))])
    return 0


# -------------------------------------------------------------------- enroll


def run_enroll(args: argparse.Namespace) -> int:
    verdict = assess_file(args.photo)
    if args.json:
        report = {
            "path": str(args.photo),
            "accepted": verdict.ok,
            "reasons": [{"code": i.code, "ru": i.ru, "en": i.en} for i in verdict.issues],
            "metrics": verdict.metrics,
        }
        print(json.dumps(report, ensure_ascii=False))
    else:
        print(f"{args.photo}: {'accepted' if verdict.ok else 'rejected'}")
        for issue in verdict.issues:
            print(f"  {issue.code}: {issue.ru} / {issue.en}")
        print("  " + ", ".join(f"{k}={v:g}" for k, v in verdict.metrics.items()))
    return 0 if verdict.ok else EXIT_REJECTED

"""Faces that are not people: counting on bench/data/faces_negatives, YuNet alone against YuNet + the human-face check.

Used by bench/accuracy.py (one section of docs/accuracy.md); also runs alone:

    .venv/bin/python bench/negatives.py [--split dev|heldout|all]

The ``heldout`` split was set aside before the check was designed and evaluated once at the end; the
``dev`` split was looked at while choosing it (see bench/data/faces_negatives/PROVENANCE.md).
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from proctor.vision import vetting  # noqa: E402
from proctor.vision.detection import detect_faces  # noqa: E402
from proctor.vision.frames import load_image  # noqa: E402

DATA = REPO / "bench" / "data" / "faces_negatives"
SPLITS = ("dev", "heldout")


def negatives(data: Path = DATA, splits: tuple[str, ...] = SPLITS) -> list[dict]:
    """One row per labelled image: YuNet's count before the check, the count after it, and whether each is right."""
    rows = []
    with (data / "labels.csv").open() as fh:
        for label in csv.DictReader(fh):
            if label["split"] not in splits:
                continue
            image = load_image(data / label["file"], max_side=1280)
            detected = detect_faces(image)
            low, high = int(label["expected_min"]), int(label["expected_max"])
            before, after = len(detected), len(vetting.human_faces(image, detected))
            rows.append(
                {
                    **label,
                    "expected": f"{low}" if low == high else f"{low}-{high}",
                    "before": before,
                    "after": after,
                    "ok_before": low <= before <= high,
                    "ok_after": low <= after <= high,
                }
            )
    return rows


def report(rows: list[dict]) -> list[str]:
    """The docs/accuracy.md section: per split and category, then every image either count gets wrong."""
    lines = [
        "## Faces that are not people (bench/data/faces_negatives)",
        "",
        "Animals, cartoons, statues and pictures of people, plus people who must stay faces. *Before* = YuNet "
        "alone (score >= 0.7), *after* = YuNet + the human-face check (`proctor/vision/vetting.py`). A picture of a "
        "real face (painting, photo, poster, screen) should count 1, a stylised one (cartoon, statue, figure) 0 or "
        "1, an animal 0 (see docs/proctoring-engine.md). *dev* was looked at while the check was designed; "
        "*heldout* was set aside first and run once, at the end.",
        "",
        "| split | category | images | right before | right after |",
        "|---|---|---|---|---|",
    ]
    for split in SPLITS:
        selected = [r for r in rows if r["split"] == split]
        for category in sorted({r["category"] for r in selected}):
            group = [r for r in selected if r["category"] == category]
            lines.append(
                f"| {split} | {category} | {len(group)} | {sum(r['ok_before'] for r in group)} | "
                f"{sum(r['ok_after'] for r in group)} |"
            )
        if selected:
            lines.append(
                f"| {split} | **all** | {len(selected)} | **{sum(r['ok_before'] for r in selected)}** | "
                f"**{sum(r['ok_after'] for r in selected)}** |"
            )
    lines += ["", "| split | image | expected | before | after |", "|---|---|---|---|---|"]
    lines += [
        f"| {r['split']} | {r['file']} | {r['expected']} | {r['before']} | {r['after']}"
        + ("" if r["ok_after"] else " **wrong**")
        + " |"
        for r in rows
        if not (r["ok_before"] and r["ok_after"])
    ]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=(*SPLITS, "all"), default="dev")
    args = parser.parse_args()
    print("\n".join(report(negatives(splits=SPLITS if args.split == "all" else (args.split,)))))
    return 0


if __name__ == "__main__":
    sys.exit(main())

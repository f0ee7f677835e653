"""Moderation filter benchmark: recall and false-positive rate on the labelled set, and speed.

    .venv/bin/python bench/moderation.py [--split all|dev|heldout] [--seconds 2]

The baseline, measured in the same run, is a naive substring blacklist built from the same roots
(``stems`` in chat/moderation/lexicon.py): case-folded text, no normalisation, no exceptions, no context.
Prints one table, the rows each filter gets wrong, and ``RESULT recall=<float> fpr=<float>`` (the filter,
all rows of the chosen split).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from chat.moderation import (  # noqa: E402
    check,
    lexicon,
    matcher,
)

DATA = REPO / "bench" / "data" / "moderation_labelled.tsv"
LABELS = ("ok", "blocked")
LANGUAGES = ("ru", "en")


@dataclass(frozen=True, slots=True)
class Row:
    label: str
    lang: str
    text: str
    kind: str
    split: str

    @property
    def blocked(self) -> bool:
        return self.label == "blocked"


@dataclass(frozen=True, slots=True)
class Scores:
    blocked: int
    caught: int
    ok: int
    flagged: int

    @property
    def recall(self) -> float | None:
        return self.caught / self.blocked if self.blocked else None

    @property
    def fpr(self) -> float | None:
        return self.flagged / self.ok if self.ok else None


def load_labelled(path: Path = DATA) -> list[Row]:
    """Parse the labelled TSV; raise ValueError naming the line for anything malformed."""
    rows: list[Row] = []
    kind = split = ""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith("# kind:"):
            kind = line.split(":", 1)[1].strip()
        elif line.startswith("# split:"):
            split = line.split(":", 1)[1].strip()
        elif line and not line.startswith("#"):
            fields = line.split("\t")
            if len(fields) != 3 or fields[0] not in LABELS or fields[1] not in LANGUAGES or not fields[2]:
                raise ValueError(f"{path}:{number}: expected label<TAB>lang<TAB>text, got {line!r}")
            if not kind or not split:
                raise ValueError(f"{path}:{number}: row before any '# kind:' / '# split:' line")
            rows.append(Row(fields[0], fields[1], fields[2], kind, split))
    return rows


def score(rows: Iterable[Row], is_blocked: Callable[[str], bool]) -> Scores:
    blocked = caught = ok = flagged = 0
    for row in rows:
        decision = is_blocked(row.text)
        if row.blocked:
            blocked += 1
            caught += decision
        else:
            ok += 1
            flagged += decision
    return Scores(blocked, caught, ok, flagged)


def filter_blocks(text: str) -> bool:
    return not check(text).ok


def naive_blacklist() -> Callable[[str], bool]:
    """Substring search for every stem of every root and targeted word: what a first attempt looks like."""
    entries = (*lexicon.RU_ROOTS, *lexicon.EN_ROOTS, *lexicon.RU_TARGETED, *lexicon.EN_TARGETED)
    stems = sorted({stem for entry in entries for stem in entry.stems}, key=len, reverse=True)
    pattern = re.compile("|".join(map(re.escape, stems)))
    return lambda text: pattern.search(text.casefold().replace("ё", "е")) is not None


def throughput(is_blocked: Callable[[str], bool], texts: list[str], seconds: float, *, cold: bool = True) -> float:
    """Messages per second over whole passes of ``texts``; with ``cold`` the word cache is emptied per pass."""
    done = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        if cold:
            matcher.clear_caches()
        for text in texts:
            is_blocked(text)
        done += len(texts)
    return done / (time.perf_counter() - started)


def worst_case_ms() -> tuple[str, float]:
    """The slowest of a few adversarial messages at the length limit, in milliseconds."""
    limit = matcher.MAX_TEXT_CHARS
    cases = {
        "spaced letters": ("х " * limit)[:limit],
        "masks": ("х*" * limit)[:limit],
        "one long word": "ы" * limit,
        "dotted letters": ("а." * limit)[:limit],
        "mixed scripts": ("xуйa6" * limit)[:limit],
        "ordinary words": ("Ребята, сдаём проект по истории в пятницу. " * limit)[:limit],
    }
    timings = {}
    for name, text in cases.items():
        started = time.perf_counter()
        check(text)
        timings[name] = (time.perf_counter() - started) * 1000
    name = max(timings, key=timings.__getitem__)
    return name, timings[name]


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _errors(rows: list[Row], is_blocked: Callable[[str], bool]) -> list[str]:
    wrong = [row for row in rows if is_blocked(row.text) != row.blocked]
    return [
        f"  {'missed' if row.blocked else 'flagged'} [{row.split}/{row.lang}/{row.kind}] {row.text!r}" for row in wrong
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=("all", "dev", "heldout", "stress"), default="all")
    parser.add_argument("--seconds", type=float, default=2.0, help="time per throughput measurement")
    args = parser.parse_args(argv)

    rows = [row for row in load_labelled() if args.split in ("all", row.split)]
    baseline = naive_blacklist()
    subsets: list[tuple[str, list[Row]]] = [("all", rows)]
    subsets += [(f"split {s}", [r for r in rows if r.split == s]) for s in ("dev", "heldout", "stress")]
    subsets += [(f"lang {lang}", [r for r in rows if r.lang == lang]) for lang in LANGUAGES]
    kinds = sorted({(r.blocked, r.kind) for r in rows}, key=lambda k: (not k[0], k[1]))
    subsets += [
        (f"{'blocked' if b else 'ok'}: {kind}", [r for r in rows if r.kind == kind and r.blocked == b])
        for b, kind in kinds
    ]

    blocked_n = sum(r.blocked for r in rows)
    print(f"Moderation filter — {len(rows)} labelled messages ({blocked_n} blocked, {len(rows) - blocked_n} ok)")
    print()
    print(f"{'subset':<26}{'n':>5}  {'recall':>8}{'FPR':>8}  {'baseline recall':>16}{'baseline FPR':>14}")
    for name, subset in subsets:
        if not subset:
            continue
        ours, theirs = score(subset, filter_blocks), score(subset, baseline)
        print(
            f"{name:<26}{len(subset):>5}  {_fmt(ours.recall):>8}{_fmt(ours.fpr):>8}"
            f"  {_fmt(theirs.recall):>16}{_fmt(theirs.fpr):>14}"
        )
    texts = [row.text for row in rows]
    ours_speed = throughput(filter_blocks, texts, args.seconds)
    warm_speed = throughput(filter_blocks, texts, args.seconds, cold=False)
    theirs_speed = throughput(baseline, texts, args.seconds)
    worst_name, worst_ms = worst_case_ms()
    print()
    print(f"throughput, messages/s: filter {ours_speed:,.0f} (word cache emptied each pass), {warm_speed:,.0f} (warm);")
    print(f"                        baseline {theirs_speed:,.0f}")
    print(f"slowest adversarial {matcher.MAX_TEXT_CHARS:,}-char message: {worst_ms:.1f} ms ({worst_name})")
    for title, is_blocked in (("filter", filter_blocks), ("baseline", baseline)):
        errors = _errors(rows, is_blocked)
        print()
        print(f"{title} errors: {len(errors)}")
        print("\n".join(errors[:40] if title == "baseline" else errors))
    total = score(rows, filter_blocks)
    print()
    print(f"RESULT recall={total.recall:.4f} fpr={total.fpr:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

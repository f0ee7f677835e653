"""``python -m models fetch|verify``: fill or check the model cache (exit 1 with one line on failure)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .manifest import MANIFEST
from .store import FETCH_HINT, ModelError, cache_dir, fetch, verify


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m models", description=__doc__)
    parser.add_argument("command", choices=["fetch", "verify"])
    parser.add_argument("--dir", type=Path, help="cache directory (default: $MODELS_CACHE_DIR or var/models)")
    args = parser.parse_args(argv)
    directory = args.dir or cache_dir()
    if args.command == "fetch":
        try:
            repaired = fetch(directory, log=lambda line: print(f"models: {line}", file=sys.stderr))
        except ModelError as exc:
            print(f"models: error: {exc}", file=sys.stderr)
            return 1
        print(f"models: {len(MANIFEST)} files verified in {directory} ({len(repaired)} restored)")
        return 0
    problems = {name: problem for name, problem in verify(directory).items() if problem}
    for name, model in MANIFEST.items():
        print(f"{name}\t{problems.get(name, 'ok')}\t{directory / model.filename}")
    if problems:
        print(f"models: error: {', '.join(problems)} not usable; {FETCH_HINT}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

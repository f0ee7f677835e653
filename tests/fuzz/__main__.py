"""``python -m tests.fuzz [--target local|cluster] [--examples N]``: the fuzz tests, on a target of choice.

``local`` (what `make test` runs) starts a private daphne; ``cluster`` starts `make cluster`'s layout for the run
(tests/support/cluster.py: PostgreSQL, Redis, daphne ×2 with media workers, Janus, nginx) and fuzzes it through
the nginx edge; it needs root and the private network namespace::

    unshare -n scripts/in-private-network.sh .venv/bin/python -m tests.fuzz --target cluster --examples 200
"""

from __future__ import annotations

import argparse
import os
import sys

import pytest


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__.split("\n")[0])
    parser.add_argument("--target", choices=("local", "cluster"), default="local")
    parser.add_argument("--examples", type=int, default=None, help="Hypothesis examples per fuzz test")
    args, pytest_args = parser.parse_known_args()  # the rest goes to pytest (e.g. -k sockets)
    os.environ["FUZZ_TARGET"] = args.target
    if args.examples:
        os.environ["FUZZ_EXAMPLES"] = str(args.examples)
    return int(pytest.main(["tests/fuzz", "-p", "no:cacheprovider", "-q", "--durations=5", *pytest_args]))


if __name__ == "__main__":
    sys.exit(main())

"""`python -m server.run`: start the platform (daphne) the way `make run` does."""

from __future__ import annotations

import argparse
import os

from daphne.cli import CommandLineInterface


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Start Classroom Live under daphne.")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "server.settings")
    CommandLineInterface().run(["--bind", args.host, "--port", str(args.port), "server.asgi:application"])


if __name__ == "__main__":
    main()

"""`python -m server.run`: start the platform (daphne, and Janus for lessons) the way `make run` does."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from daphne.cli import CommandLineInterface

from rtc.janus.supervisor import start_embedded


def accept_host(host: str) -> None:
    """Let Django accept ``host`` in the Host header: the embedded Janus posts its events to it.

    Without this a site with ``ALLOWED_HOSTS=school.example`` answers Janus 400, and "media connected"
    is never recorded. Loopback names never make a start count as production (server/startup.py).
    """
    hosts = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h.strip()]
    if host not in hosts:
        os.environ["ALLOWED_HOSTS"] = ",".join([*hosts, host])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Start Classroom Live under daphne.")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "server.settings")
    var_dir = Path(os.environ.get("VAR_DIR", Path(__file__).resolve().parent.parent / "var"))
    local = "127.0.0.1" if args.host in {"0.0.0.0", "::", "localhost"} else args.host  # noqa: S104
    events = f"http://{local}:{args.port}/lessons/janus/events/"
    accept_host(local)
    janus = start_embedded(var_dir, event_backend=events)  # stopped below; also SIGTERMed by the kernel if we die
    try:
        CommandLineInterface().run(["--bind", args.host, "--port", str(args.port), "server.asgi:application"])
    finally:
        if janus is not None:
            janus.stop()


if __name__ == "__main__":
    main()

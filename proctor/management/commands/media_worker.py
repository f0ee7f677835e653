"""``manage.py media_worker [--name NAME]``: one media-worker process of the scaled layout (docs/proctoring.md)."""

from __future__ import annotations

import asyncio
import socket

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from proctor.media.worker import run_process


class Command(BaseCommand):
    help = (
        "Run a media worker: it announces itself in the registry and takes exam sessions placed on it "
        "(the aiortc peers and live analysis of their cameras)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", default=socket.gethostname(), help="its name for operators (default: host name)")

    def handle(self, *args: object, name: str, **options: object) -> None:
        if not settings.REDIS_URL:
            raise CommandError("a separate media worker needs the Redis channel layer: set REDIS_URL")
        asyncio.run(run_process(name))

"""``manage.py media_worker --index I``: one media-worker process of the scaled layout (docs/proctoring.md)."""

from __future__ import annotations

import asyncio

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from proctor.media.worker import run_process


class Command(BaseCommand):
    help = "Run media worker INDEX: the aiortc peers and live analysis of the exam sessions assigned to it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--index", type=int, required=True, help="0 .. RTC_MEDIA_WORKERS-1")

    def handle(self, *args: object, index: int, **options: object) -> None:
        if not settings.REDIS_URL:
            raise CommandError("a separate media worker needs the Redis channel layer: set REDIS_URL")
        if settings.RTC_MEDIA_EMBEDDED:
            raise CommandError("RTC_MEDIA_EMBEDDED is on: daphne serves the media channels itself")
        if not 0 <= index < settings.RTC_MEDIA_WORKERS:
            raise CommandError(f"--index must be 0..{settings.RTC_MEDIA_WORKERS - 1} (RTC_MEDIA_WORKERS)")
        asyncio.run(run_process(index))

"""Delete chat uploads that were never sent with a message (daily cron)."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from chat.attachments.service import discard_unsent


class Command(BaseCommand):
    help = "Delete chat uploads never attached to a message within --hours (default 24, at least 1)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--hours", type=int, default=24)

    def handle(self, *args: object, hours: int, **options: object) -> None:
        if hours < 1:  # 0 would take the files people are attaching to the message they are writing right now
            raise CommandError(f"--hours must be at least 1 (got {hours}): uploads being sent right now would go")
        removed = discard_unsent(timezone.now() - timedelta(hours=hours))
        self.stdout.write(f"removed {removed} unsent upload(s)")

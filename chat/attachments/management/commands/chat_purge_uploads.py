"""Delete chat uploads that were never sent with a message (daily cron)."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from chat.attachments.service import discard_unsent


class Command(BaseCommand):
    help = "Delete chat uploads never attached to a message within --hours (default 24)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--hours", type=int, default=24)

    def handle(self, *args: object, hours: int, **options: object) -> None:
        removed = discard_unsent(timezone.now() - timedelta(hours=hours))
        self.stdout.write(f"removed {removed} unsent upload(s)")

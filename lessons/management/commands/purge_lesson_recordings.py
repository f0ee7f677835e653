"""``manage.py purge_lesson_recordings``: delete lesson recordings past their retention period (run daily)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from lessons.recordings import purge_recordings


class Command(BaseCommand):
    help = "Удалить записи уроков старше LESSONS_RECORDING_RETENTION_DAYS (строки записей остаются, файлы удаляются)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="only count what would be deleted")

    def handle(self, *args: object, dry_run: bool = False, **options: object) -> None:
        count = purge_recordings(dry_run=dry_run)
        verb = "would delete" if dry_run else "deleted"
        days = settings.LESSONS_RECORDING_RETENTION_DAYS
        self.stdout.write(f"{verb}: {count} lesson recording(s) older than {days} days")

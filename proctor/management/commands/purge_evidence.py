"""``manage.py purge_evidence``: delete exam evidence snapshots and attempt recordings past their retention period
(run daily)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from proctor.recording import purge_recordings
from proctor.retention import purge_evidence


class Command(BaseCommand):
    help = (
        "Удалить снимки нарушений и записи попыток старше PROCTOR_EVIDENCE_RETENTION_DAYS (записи эпизодов остаются)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="only count what would be deleted")

    def handle(self, *args: object, dry_run: bool = False, **options: object) -> None:
        count = purge_evidence(dry_run=dry_run)
        recordings = purge_recordings(dry_run=dry_run)
        verb = "would delete" if dry_run else "deleted"
        days = settings.PROCTOR_EVIDENCE_RETENTION_DAYS
        self.stdout.write(f"{verb}: {count} evidence snapshot(s) older than {days} days")
        self.stdout.write(f"{verb}: the recordings of {recordings} session(s) older than {days} days")
